import type { CatalogModel } from '../../lib/types.js';
import { allows, durationsOf, resolutionsOf } from '../../lib/catalog.js';
import { FieldErrors } from '../../components/Field.js';
import { Segmented } from '../../components/Segmented.js';

interface Props {
  model: CatalogModel;
  resolution: string;
  duration: number;
  optimizer: boolean;
  onResolution: (r: string) => void;
  onDuration: (d: number) => void;
  onOptimizer: (v: boolean) => void;
  errors: (path: string) => string[] | undefined;
}

/**
 * Resolution and duration from the catalog's combinations: a duration the chosen resolution does
 * not render (10 s at 1080p) is disabled, so the invalid request cannot be made.
 */
export function RenderOptions({ model, resolution, duration, optimizer, onResolution, onDuration, onOptimizer, errors }: Props) {
  const resErr = errors('hailuoParams.resolution');
  const durErr = errors('hailuoParams.duration');
  const limited = durationsOf(model).some((d) => !allows(model, resolution, d));
  return (
    <div className="render-options">
      <div className="field">
        <Segmented
          name="resolution"
          legend="Resolution"
          value={resolution}
          options={resolutionsOf(model).map((r) => ({ value: r, label: r }))}
          onChange={onResolution}
          describedBy={resErr?.length ? 'resolution-error' : undefined}
        />
        <FieldErrors id="resolution" errors={resErr} />
      </div>
      <div className="field">
        <Segmented
          name="duration"
          legend="Duration"
          value={duration}
          options={durationsOf(model).map((d) => ({
            value: d,
            label: `${d} s`,
            disabled: !allows(model, resolution, d),
            reason: `${resolution} renders ${durationsOf(model).filter((x) => allows(model, resolution, x)).join(' or ')}-second clips only`,
          }))}
          onChange={onDuration}
          describedBy={limited ? 'duration-hint' : undefined}
        />
        {limited ? (
          <p className="hint" id="duration-hint">
            {resolution} renders {durationsOf(model).filter((d) => allows(model, resolution, d)).join(' or ')}-second clips only; choose a lower resolution for longer clips.
          </p>
        ) : null}
        <FieldErrors id="duration" errors={durErr} />
      </div>
      <div className="field">
        <label className="switch" htmlFor="optimizer">
          <input id="optimizer" type="checkbox" role="switch" checked={optimizer} onChange={(e) => onOptimizer(e.target.checked)} />
          <span className="switch-track" aria-hidden="true" />
          <span>
            Prompt optimizer
            <span className="hint block">Lets the model rewrite the prompt for better results. Turn off for exact control.</span>
          </span>
        </label>
        <FieldErrors id="optimizer" errors={errors('hailuoParams.prompt_optimizer')} />
      </div>
    </div>
  );
}
