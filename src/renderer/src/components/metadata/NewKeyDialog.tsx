import { useState } from 'react';
import { ImgmetaError } from '../../../../shared/errors';
import { useApi } from '../../api';
import { Dialog } from '../Dialog';
import { FormatSwitch } from './FormatSwitch';
import { parseValue, type ValueFormat } from './value-format';

const placeholders: Record<ValueFormat, string> = {
  json: '{"Digest": "sha256:…"}',
  text: 'any UTF-8 text',
  hex: '00 01 02 ff',
};

/** A new key: its name (starting in the folder being browsed) and a value, validated in its format before saving. */
export function NewKeyDialog({
  namespace,
  prefix,
  onClose,
  onCreated,
}: {
  namespace: string;
  prefix: string;
  onClose: () => void;
  onCreated: (key: string) => void;
}) {
  const api = useApi();
  const [key, setKey] = useState(prefix.slice(0, prefix.lastIndexOf('/') + 1));
  const [format, setFormat] = useState<ValueFormat>('json');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const create = async () => {
    if (key.trim() === '') return setError('A key is required.');
    const parsed = parseValue(text, format);
    if (!parsed.ok) return setError(`${parsed.error}. Not saved.`);
    setBusy(true);
    try {
      // expectedVersion 0: only if the key does not exist yet, so creating never replaces someone's value.
      await api['metadata.set']({ namespace, key, value: parsed.bytes, expectedVersion: 0 });
      onCreated(key);
    } catch (err) {
      setError(
        err instanceof ImgmetaError && err.code === 'conflict'
          ? `${key} already exists in ${namespace}; open it to edit it.`
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`New key in ${namespace}`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="button button--primary"
            disabled={busy}
            onClick={() => void create()}
          >
            Create
          </button>
        </>
      }
    >
      <div className="dialog__form">
        <div className="field">
          <label htmlFor="new-key-name">Key</label>
          <input
            id="new-key-name"
            className="input input--mono"
            value={key}
            autoFocus
            spellCheck={false}
            onChange={(event) => setKey(event.target.value)}
          />
        </div>
        <FormatSwitch value={format} onChange={setFormat} available={() => true} />
        <div className="field">
          <label htmlFor="new-key-value">
            Value ({format === 'hex' ? 'hex digits' : format.toUpperCase()})
          </label>
          <textarea
            id="new-key-value"
            className="input input--mono new-key__value"
            value={text}
            placeholder={placeholders[format]}
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            onChange={(event) => setText(event.target.value)}
          />
        </div>
        {error && (
          <p className="field__error" role="alert">
            {error}
          </p>
        )}
      </div>
    </Dialog>
  );
}
