import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import { navigate } from '../../lib/router.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import { fitDuration, needsImage, priceOf } from '../../lib/catalog.js';
import { promptLength } from '../../lib/camera.js';
import type { CatalogModel } from '../../lib/types.js';
import { credits } from '../../lib/format.js';
import { ErrorBanner, Loading } from '../../components/Feedback.js';
import { Field, describedBy } from '../../components/Field.js';
import { useMe } from '../StudioShell.js';
import { ModelPicker } from './ModelPicker.js';
import { PromptBox } from './PromptBox.js';
import { ImageInput } from './ImageInput.js';
import { RenderOptions } from './RenderOptions.js';
import { PriceSummary } from './PriceSummary.js';
import { bodyOf, localProblems, type Draft } from './draft.js';

/** The control that shows each request path's errors, to move focus to the first one. */
const CONTROL_OF: Record<string, string> = {
  model: 'model-hailuo-2.3',
  prompt: 'prompt',
  'hailuoParams.image': 'image-file',
  'hailuoParams.resolution': 'resolution-768p',
  'hailuoParams.duration': 'duration-6',
  webhookUrl: 'webhook-url',
  webhook_url: 'webhook-url',
};

function focusFirstError(paths: string[], imageSource: string): void {
  requestAnimationFrame(() => {
    for (const path of paths) {
      const id = path === 'hailuoParams.image' && imageSource === 'url' ? 'image-url' : CONTROL_OF[path];
      const el = id ? document.getElementById(id) : null;
      if (!el) continue;
      el.closest('details')?.setAttribute('open', '');
      el.focus();
      return;
    }
  });
}

const KNOWN_PATHS = ['model', 'prompt', 'hailuoParams.image', 'hailuoParams.duration', 'hailuoParams.resolution', 'hailuoParams.prompt_optimizer', 'webhookUrl'];

function initialDraft(m: CatalogModel): Draft {
  return {
    model: m.id,
    prompt: '',
    imageSource: 'upload',
    image: null,
    imageUrl: '',
    resolution: m.combinations[0]?.resolution ?? '768p',
    duration: m.combinations[0]?.durationSeconds ?? 6,
    optimizer: m.parameters.prompt_optimizer?.default ?? true,
    webhookUrl: '',
  };
}

function submitError(err: ApiError): string {
  if (err.code === 'insufficient_credits') {
    const need = Number(err.extra.creditsRequired);
    const have = Number(err.extra.creditsAvailable);
    if (Number.isFinite(need) && Number.isFinite(have)) return `Not enough credits: this job costs ${credits(need)} and ${credits(have)} are available.`;
  }
  return err.message;
}

function GenerateForm({ models }: { models: readonly CatalogModel[] }) {
  const { api } = useSession();
  const me = useMe();
  const [draft, setDraft] = useState<Draft>(() => initialDraft(models[0]!));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const model = models.find((m) => m.id === draft.model) ?? models[0]!;
  const max = model.parameters.prompt?.maxLength ?? 2000;
  const price = priceOf(model, draft.resolution, draft.duration);
  const mode = me.data?.apiKey.mode;
  const wallet = mode ? me.data?.credits[mode] : undefined;
  const blocker = needsImage(model) && !draft.image && !draft.imageUrl.trim() ? `Add an image: ${model.label} is image-to-video only.` : promptLength(draft.prompt) > max ? 'Shorten the prompt to submit.' : null;

  const previewUrl = draft.image?.previewUrl;
  useEffect(() => () => (previewUrl ? URL.revokeObjectURL(previewUrl) : undefined), [previewUrl]);

  const update = (patch: Partial<Draft>, clear: string[] = []): void => {
    setDraft((d) => ({ ...d, ...patch }));
    if (clear.length) setFieldErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !clear.includes(k))));
  };
  const errorsAt = (path: string): string[] | undefined => fieldErrors[path];

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setFormError(null);
    const local = localProblems(draft, model, max);
    setFieldErrors(local);
    if (Object.keys(local).length) {
      focusFirstError(Object.keys(local), draft.imageSource);
      return;
    }
    setBusy(true);
    try {
      const out = await api.send<{ jobId: string }>('POST', '/v2/videos/generate', bodyOf(draft));
      me.reload();
      navigate(`/jobs/${out.jobId}`);
    } catch (err) {
      const apiErr = toApiError(err);
      setFieldErrors(apiErr.details);
      focusFirstError(Object.keys(apiErr.details), draft.imageSource);
      const unplaced = Object.keys(apiErr.details).filter((k) => !KNOWN_PATHS.includes(k) && k !== 'webhook_url');
      setFormError(Object.keys(apiErr.details).length === 0 || unplaced.length ? submitError(apiErr) : 'Fix the fields marked above.');
      setBusy(false);
    }
  };

  return (
    <form className="generate" onSubmit={(e) => void submit(e)} noValidate>
      <div className="generate-main card">
        <ModelPicker
          models={models}
          value={draft.model}
          errors={errorsAt('model')}
          onChange={(id) => {
            const m = models.find((x) => x.id === id)!;
            update({ model: id, duration: fitDuration(m, draft.resolution, draft.duration) }, ['model', 'hailuoParams.image']);
          }}
        />
        <PromptBox value={draft.prompt} onChange={(prompt) => update({ prompt }, ['prompt'])} max={max} required={!draft.image && !draft.imageUrl && !needsImage(model)} errors={errorsAt('prompt')} />
        <ImageInput
          source={draft.imageSource}
          onSource={(imageSource) => update({ imageSource }, ['hailuoParams.image'])}
          image={draft.image}
          onImage={(image) => update({ image }, ['hailuoParams.image', 'prompt'])}
          url={draft.imageUrl}
          onUrl={(imageUrl) => update({ imageUrl }, ['hailuoParams.image'])}
          required={needsImage(model)}
          errors={errorsAt('hailuoParams.image')}
        />
      </div>
      <aside className="generate-side">
        <div className="card">
          <h2 className="card-title">Settings</h2>
          <RenderOptions
            model={model}
            resolution={draft.resolution}
            duration={draft.duration}
            optimizer={draft.optimizer}
            onResolution={(resolution) => update({ resolution, duration: fitDuration(model, resolution, draft.duration) }, ['hailuoParams.resolution', 'hailuoParams.duration'])}
            onDuration={(duration) => update({ duration }, ['hailuoParams.duration'])}
            onOptimizer={(optimizer) => update({ optimizer })}
            errors={errorsAt}
          />
          <details className="advanced">
            <summary>Webhook</summary>
            <Field id="webhook-url" label="Webhook URL" hint="Reelay POSTs progress and the result here, signed." errors={errorsAt('webhookUrl') ?? errorsAt('webhook_url')}>
              <input
                id="webhook-url"
                type="url"
                inputMode="url"
                placeholder="https://example.com/hooks/reelay"
                value={draft.webhookUrl}
                onChange={(e) => update({ webhookUrl: e.target.value }, ['webhookUrl', 'webhook_url'])}
                aria-describedby={describedBy('webhook-url', errorsAt('webhookUrl'), true)}
              />
            </Field>
          </details>
        </div>
        <div className="card submit-card">
          <PriceSummary price={price} mode={mode} wallet={wallet} />
          <button type="submit" className="btn btn-primary btn-block btn-large" disabled={busy || blocker !== null} aria-describedby={blocker ? 'submit-blocker' : undefined}>
            {busy ? 'Submitting…' : 'Generate video'}
          </button>
          {blocker ? (
            <p className="hint" id="submit-blocker">
              {blocker}
            </p>
          ) : null}
          <ErrorBanner error={formError} />
        </div>
      </aside>
    </form>
  );
}

/** The Generate page: the catalog first, then the form built from it. */
export function GeneratePage() {
  const { api } = useSession();
  const catalog = useResource((s) => api.get<{ models: CatalogModel[] }>('/v2/models', s), [api]);
  return (
    <>
      <div className="page-head">
        <h1>Generate</h1>
        <p className="muted">Describe a shot, or animate an image. Test keys render locally with the sandbox engine in seconds.</p>
      </div>
      {catalog.data?.models.length ? (
        <GenerateForm models={catalog.data.models} />
      ) : catalog.error ? (
        <ErrorBanner error={catalog.error} title="The model catalog could not be loaded." />
      ) : (
        <Loading what="models" />
      )}
    </>
  );
}
