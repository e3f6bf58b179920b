import type { CatalogModel } from '../../lib/types.js';
import { needsImage } from '../../lib/catalog.js';
import { credits } from '../../lib/format.js';
import { FieldErrors } from '../../components/Field.js';

interface Props {
  models: readonly CatalogModel[];
  value: string;
  onChange: (id: string) => void;
  errors: readonly string[] | undefined;
}

/** The catalog's models as radio cards: label, what it does, price range, modes. */
export function ModelPicker({ models, value, onChange, errors }: Props) {
  return (
    <fieldset className="model-picker" aria-describedby={errors?.length ? 'model-error' : undefined}>
      <legend className="label">Model</legend>
      <div className="model-cards">
        {models.map((m) => (
          <label key={m.id} className={`model-card${m.id === value ? ' selected' : ''}`} htmlFor={`model-${m.id}`}>
            <input type="radio" id={`model-${m.id}`} name="model" value={m.id} checked={m.id === value} onChange={() => onChange(m.id)} />
            <span className="model-card-body">
              <span className="model-card-title">
                {m.label}
                <span className="model-card-price">
                  {credits(m.costMin)}–{credits(m.costMax)} credits
                </span>
              </span>
              <span className="model-card-desc">{m.description}</span>
              <span className="model-card-modes">
                {m.modes.map((x) => (
                  <span key={x} className="badge tone-neutral">
                    {x}
                  </span>
                ))}
                {needsImage(m) ? <span className="badge tone-accent">needs an image</span> : null}
              </span>
            </span>
          </label>
        ))}
      </div>
      <FieldErrors id="model" errors={errors} />
    </fieldset>
  );
}
