import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp files for `--keep-layers`: verified layer bytes copied under `tempDir` (or a private temp directory when
 * none is given). The files handed over in `ImportBatch.layers` belong to the caller; the rest, or all of them when
 * the import fails, are removed here.
 */
export class LayerCopies {
  private dir?: string;
  private ownDir = false;
  private readonly prefix = randomBytes(6).toString('hex');
  private count = 0;
  private readonly files: string[] = [];

  constructor(private readonly tempDir: string | undefined) {}

  /** Must be awaited once before `nextFile`. */
  async prepare(): Promise<void> {
    if (this.dir !== undefined) return;
    if (this.tempDir !== undefined) this.dir = this.tempDir;
    else {
      this.dir = await mkdtemp(join(tmpdir(), 'imgmeta-layers-'));
      this.ownDir = true;
    }
  }

  /** A fresh path for one copy (the file itself is created by the writer, exclusively). */
  nextFile(): string {
    if (this.dir === undefined) throw new Error('LayerCopies.prepare() was not awaited');
    const file = join(this.dir, `layer-${this.prefix}-${this.count++}`);
    this.files.push(file);
    return file;
  }

  /** Removes the copies not in `keep`; with nothing kept, also the private directory. */
  async discard(keep: Set<string> = new Set()): Promise<void> {
    await Promise.all(this.files.filter((f) => !keep.has(f)).map((f) => rm(f, { force: true })));
    if (keep.size === 0 && this.ownDir && this.dir !== undefined)
      await rm(this.dir, { recursive: true, force: true });
  }
}
