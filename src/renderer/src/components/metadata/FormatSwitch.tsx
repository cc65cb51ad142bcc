import { formatLabels, type ValueFormat } from './value-format';

const formats: ValueFormat[] = ['json', 'text', 'hex'];

/** JSON / Text / Hex as a group of toggle buttons; formats the value cannot be shown in are disabled. */
export function FormatSwitch({
  value,
  onChange,
  available,
}: {
  value: ValueFormat;
  onChange: (format: ValueFormat) => void;
  available: (format: ValueFormat) => boolean;
}) {
  return (
    <div className="segmented" role="group" aria-label="Show value as">
      {formats.map((f) => (
        <button
          key={f}
          type="button"
          className="segmented__button"
          aria-pressed={f === value}
          disabled={!available(f)}
          onClick={() => onChange(f)}
        >
          {formatLabels[f]}
        </button>
      ))}
    </div>
  );
}
