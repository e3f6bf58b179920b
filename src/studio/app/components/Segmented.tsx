export interface SegmentOption<V extends string | number> {
  value: V;
  label: string;
  disabled?: boolean;
  /** Why it is disabled, read to screen readers and shown as a tooltip. */
  reason?: string;
}

interface Props<V extends string | number> {
  name: string;
  legend: string;
  value: V;
  options: readonly SegmentOption<V>[];
  onChange: (v: V) => void;
  describedBy?: string | undefined;
}

/** Radio buttons drawn as a segmented control: arrow keys, labels and disabled states come free. */
export function Segmented<V extends string | number>({ name, legend, value, options, onChange, describedBy }: Props<V>) {
  return (
    <fieldset className="segmented" aria-describedby={describedBy}>
      <legend>{legend}</legend>
      <div className="segments">
        {options.map((o) => {
          const id = `${name}-${o.value}`;
          return (
            <span key={String(o.value)} className="segment">
              <input
                type="radio"
                id={id}
                name={name}
                value={String(o.value)}
                checked={o.value === value}
                disabled={o.disabled}
                onChange={() => onChange(o.value)}
              />
              <label htmlFor={id} title={o.disabled ? o.reason : undefined}>
                {o.label}
              </label>
            </span>
          );
        })}
      </div>
    </fieldset>
  );
}
