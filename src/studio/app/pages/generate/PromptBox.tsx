import { useRef, useState } from 'react';
import { CAMERA_COMMANDS, insertCommand, promptLength } from '../../lib/camera.js';
import { credits } from '../../lib/format.js';
import { Field, describedBy } from '../../components/Field.js';

interface Props {
  value: string;
  onChange: (v: string) => void;
  max: number;
  required: boolean;
  errors: readonly string[] | undefined;
}

function CameraIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="2.5" y="6.5" width="13" height="11" rx="2.5" />
      <path d="M15.5 10.5l6-3.5v10l-6-3.5z" />
    </svg>
  );
}

/** The prompt, its character count against the limit, and the camera commands at hand. */
export function PromptBox({ value, onChange, max, required, errors }: Props) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [cameraOpen, setCameraOpen] = useState(false);
  const length = promptLength(value);
  const over = length > max;
  const hint = 'Camera moves in square brackets steer the shot, up to three at once: [Pan left,Pedestal up].';

  const insert = (command: string): void => {
    const el = ref.current;
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    const next = insertCommand(value, start, end, command);
    onChange(next.text);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(next.caret, next.caret);
    });
  };

  const counter = (
    <span className={`counter${over ? ' over' : ''}`} id="prompt-counter" aria-live="polite">
      {credits(length)} / {credits(max)}
    </span>
  );
  const allErrors = over ? [`The prompt is ${credits(length)} characters; the limit is ${credits(max)}.`, ...(errors ?? [])] : errors;

  return (
    <Field id="prompt" label={required ? 'Prompt' : 'Prompt (optional with an image)'} hint={hint} errors={allErrors} aside={counter}>
      <textarea
        id="prompt"
        ref={ref}
        rows={5}
        value={value}
        placeholder="Cinematic aerial shot of a medieval castle at dawn, mist in the valley [Push in]"
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={Boolean(allErrors?.length)}
        aria-describedby={[describedBy('prompt', allErrors, hint), 'prompt-counter'].filter(Boolean).join(' ')}
      />
      <div className="camera">
        <button type="button" className="btn btn-small btn-ghost camera-toggle" aria-expanded={cameraOpen} aria-controls="camera-commands" onClick={() => setCameraOpen((o) => !o)}>
          <CameraIcon /> Camera moves {cameraOpen ? '▴' : '▾'}
        </button>
        {cameraOpen ? (
          <div id="camera-commands" className="camera-commands" role="group" aria-label="Insert a camera move at the cursor">
            {CAMERA_COMMANDS.map((c) => (
              <button key={c} type="button" className="chip" onClick={() => insert(c)}>
                [{c}]
              </button>
            ))}
          </div>
        ) : null}
      </div>
    </Field>
  );
}
