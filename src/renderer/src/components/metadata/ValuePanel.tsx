import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { ImgmetaError } from '../../../../shared/errors';
import type { MetadataValue } from '../../../../shared/types';
import { useApi } from '../../api';
import { formatBytes, formatCount } from '../../format';
import { useApiQuery } from '../../queries';
import { CodeView } from '../CodeView';
import { Time } from '../common';
import { Dialog } from '../Dialog';
import { ErrorPanel } from '../ErrorPanel';
import { DigestLinks } from './DigestLinks';
import { FormatSwitch } from './FormatSwitch';
import {
  canShow,
  decodeUtf8,
  detectFormat,
  hexDump,
  parseValue,
  toEditText,
  type ValueFormat,
} from './value-format';

/**
 * One key's value: shown as JSON, text or a hex dump (detected, switchable), edited in any of the three and saved
 * with the version it was read at, so a change made meanwhile (another window, the CLI) is a conflict the user
 * settles with both versions in front of them, never a silent overwrite.
 */
export function ValuePanel({
  namespace,
  keyName,
  onDeleted,
}: {
  namespace: string;
  keyName: string;
  onDeleted: () => void;
}) {
  const value = useApiQuery('metadata.get', { namespace, key: keyName });
  if (value.error)
    return (
      <ErrorPanel
        error={value.error}
        title={`Could not read ${keyName}`}
        onRetry={() => void value.refetch()}
      />
    );
  if (!value.data) return <p className="loading">Loading {keyName}…</p>;
  return <ValueEditor key={keyName} namespace={namespace} loaded={value.data} onDeleted={onDeleted} />;
}

interface Draft {
  format: ValueFormat;
  text: string;
  /** The version the edit started from: what the save expects to replace. */
  base: MetadataValue;
}

function ValueEditor({
  namespace,
  loaded,
  onDeleted,
}: {
  namespace: string;
  loaded: MetadataValue;
  onDeleted: () => void;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [format, setFormat] = useState<ValueFormat>(() => detectFormat(loaded.value));
  const [draft, setDraft] = useState<Draft | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<
    { theirs: MetadataValue | undefined; mine: Uint8Array } | undefined
  >();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const key = loaded.key;

  // A value that changed under a read-only view just shows the new one; under an edit it waits for the save.
  useEffect(() => {
    if (!draft) setFormat((f) => (canShow(loaded.value, f) ? f : detectFormat(loaded.value)));
  }, [loaded, draft]);

  const text = useMemo(() => decodeUtf8(loaded.value), [loaded.value]);
  const refresh = () => queryClient.invalidateQueries();

  const startEdit = () => {
    setError(undefined);
    setNotice(undefined);
    setDraft({ format, text: toEditText(loaded.value, format), base: loaded });
  };

  const switchFormat = (next: ValueFormat) => {
    if (!draft) return setFormat(next);
    // Carry the edit across formats through its bytes; an edit that does not parse stays where it is.
    const parsed = parseValue(draft.text, draft.format);
    if (!parsed.ok) return setError(`${parsed.error}. Fix it before switching to ${next.toUpperCase()}.`);
    if (!canShow(parsed.bytes, next)) return setError(`This value is not valid ${next.toUpperCase()}.`);
    setError(undefined);
    setFormat(next);
    setDraft({ ...draft, format: next, text: toEditText(parsed.bytes, next) });
  };

  const save = async (bytes: Uint8Array, expectedVersion: number) => {
    setSaving(true);
    try {
      await api['metadata.set']({ namespace, key, value: bytes, expectedVersion });
      setDraft(undefined);
      setConflict(undefined);
      setError(undefined);
      setNotice('Saved.');
      await refresh();
    } catch (err) {
      if (err instanceof ImgmetaError && err.code === 'conflict') {
        const theirs = await api['metadata.get']({ namespace, key }).catch(() => undefined);
        setConflict({ theirs, mine: bytes });
      } else setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const onSave = () => {
    if (!draft) return;
    const parsed = parseValue(draft.text, draft.format);
    if (!parsed.ok) return setError(`${parsed.error}. Not saved.`);
    void save(parsed.bytes, draft.base.version);
  };

  const onDelete = async () => {
    try {
      await api['metadata.delete']({ namespace, key, expectedVersion: loaded.version });
      setConfirmDelete(false);
      // No refetch here: this panel is about to go, and reading the deleted key again would only be a 404; the
      // store.changed event refreshes the list.
      onDeleted();
    } catch (err) {
      setConfirmDelete(false);
      setError(
        err instanceof ImgmetaError && err.code === 'conflict'
          ? 'Not deleted: the value changed since you opened it. Look at the new value first.'
          : (err as Error).message,
      );
      await refresh();
    }
  };

  const shownFormat = draft?.format ?? format;
  return (
    <section className="value-panel" aria-label={`Value of ${key}`}>
      <header className="value-panel__header">
        <h2 className="value-panel__key" title={key}>
          {key}
        </h2>
        <p className="meta-line muted">
          <span title={`${formatCount(loaded.size)} bytes`}>{formatBytes(loaded.size)}</span>
          <span>version {loaded.version}</span>
          <span>
            updated <Time iso={loaded.updatedAt} />
          </span>
        </p>
      </header>
      <div className="value-panel__toolbar">
        <FormatSwitch
          value={shownFormat}
          onChange={switchFormat}
          available={(f) => (draft ? true : canShow(loaded.value, f))}
        />
        <span className="toolbar__spacer" />
        {draft ? (
          <>
            <button type="button" className="button button--primary" onClick={onSave} disabled={saving}>
              Save
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setDraft(undefined);
                setError(undefined);
              }}
            >
              Cancel
            </button>
          </>
        ) : (
          <>
            <button type="button" className="button" onClick={startEdit}>
              Edit
            </button>
            <button
              type="button"
              className="button button--danger-outline"
              onClick={() => setConfirmDelete(true)}
            >
              Delete key
            </button>
          </>
        )}
      </div>
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
      {notice && !draft && (
        <p className="note note--info" role="status">
          {notice}
        </p>
      )}
      {draft && draft.base.version !== loaded.version && !conflict && (
        <p className="note" role="status">
          Someone changed this value (now version {loaded.version}) since you started editing version{' '}
          {draft.base.version}. Saving will ask what to keep.
        </p>
      )}
      <div className="value-panel__body">
        {draft ? (
          draft.format === 'hex' ? (
            <textarea
              className="input input--mono hex-editor"
              aria-label={`Edit ${key} as hex`}
              value={draft.text}
              spellCheck={false}
              onChange={(event) => setDraft({ ...draft, text: event.target.value })}
            />
          ) : (
            <CodeView
              value={draft.text}
              language={draft.format === 'json' ? 'json' : 'text'}
              readOnly={false}
              label={`Edit ${key} as ${draft.format === 'json' ? 'JSON' : 'text'}`}
              onChange={(next) => setDraft((d) => (d ? { ...d, text: next } : d))}
            />
          )
        ) : format === 'hex' ? (
          <pre className="hex-dump" aria-label={`Hex dump of ${key}`} tabIndex={0}>
            {hexDump(loaded.value)}
          </pre>
        ) : (
          <CodeView
            value={toEditText(loaded.value, format)}
            language={format === 'json' ? 'json' : 'text'}
            label={`Value of ${key} as ${format === 'json' ? 'JSON' : 'text'}`}
          />
        )}
      </div>
      <DigestLinks keyName={key} text={text} />
      {conflict && (
        <ConflictDialog
          keyName={key}
          format={draft?.format ?? format}
          theirs={conflict.theirs}
          mine={conflict.mine}
          onOverwrite={() => void save(conflict.mine, conflict.theirs?.version ?? 0)}
          onTakeTheirs={() => {
            setConflict(undefined);
            setDraft(undefined);
            setNotice('Kept their version; your edit was discarded.');
            void refresh();
          }}
          onKeepEditing={() => setConflict(undefined)}
        />
      )}
      {confirmDelete && (
        <Dialog
          title={`Delete ${key}?`}
          role="alertdialog"
          onClose={() => setConfirmDelete(false)}
          actions={
            <>
              <button type="button" className="button" onClick={() => setConfirmDelete(false)} autoFocus>
                Cancel
              </button>
              <button type="button" className="button button--danger" onClick={() => void onDelete()}>
                Delete
              </button>
            </>
          }
        >
          <p>
            The key <code>{key}</code> in namespace <code>{namespace}</code> ({formatBytes(loaded.size)}) is
            deleted for good; metadata has no trash.
          </p>
        </Dialog>
      )}
    </section>
  );
}

/** Both versions side by side, and the three ways out; nothing is written until the user picks one. */
function ConflictDialog({
  keyName,
  format,
  theirs,
  mine,
  onOverwrite,
  onTakeTheirs,
  onKeepEditing,
}: {
  keyName: string;
  format: ValueFormat;
  theirs: MetadataValue | undefined;
  mine: Uint8Array;
  onOverwrite: () => void;
  onTakeTheirs: () => void;
  onKeepEditing: () => void;
}) {
  const show = (bytes: Uint8Array) =>
    format === 'hex' || !canShow(bytes, format) ? hexDump(bytes) : toEditText(bytes, format);
  return (
    <Dialog
      title={`${keyName} changed while you were editing`}
      role="alertdialog"
      className="dialog--wide"
      onClose={onKeepEditing}
      actions={
        <>
          <button type="button" className="button" onClick={onKeepEditing} autoFocus>
            Keep editing
          </button>
          <button type="button" className="button" onClick={onTakeTheirs}>
            Take theirs
          </button>
          <button type="button" className="button button--danger" onClick={onOverwrite}>
            Overwrite with mine
          </button>
        </>
      }
    >
      <p>
        {theirs
          ? `Someone saved version ${theirs.version} after you opened the value. Nothing was written.`
          : 'Someone deleted this key after you opened it. Nothing was written.'}
      </p>
      <div className="conflict">
        <section aria-label="Theirs">
          <h3 className="section-title">Theirs{theirs ? ` (version ${theirs.version})` : ' (deleted)'}</h3>
          <pre className="conflict__value" tabIndex={0}>
            {theirs ? show(theirs.value) : '(deleted)'}
          </pre>
        </section>
        <section aria-label="Yours">
          <h3 className="section-title">Yours (not saved)</h3>
          <pre className="conflict__value" tabIndex={0}>
            {show(mine)}
          </pre>
        </section>
      </div>
    </Dialog>
  );
}
