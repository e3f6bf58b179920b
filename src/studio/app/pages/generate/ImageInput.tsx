import { useRef, useState, type DragEvent } from 'react';
import { pickImage, type PickedImage } from '../../lib/image.js';
import { bytes } from '../../lib/format.js';
import { FieldErrors, describedBy } from '../../components/Field.js';
import { Segmented } from '../../components/Segmented.js';
import { Spinner } from '../../components/Feedback.js';

export type ImageSource = 'upload' | 'url';

interface Props {
  source: ImageSource;
  onSource: (s: ImageSource) => void;
  image: PickedImage | null;
  onImage: (img: PickedImage | null) => void;
  url: string;
  onUrl: (u: string) => void;
  required: boolean;
  /** Errors from the API (`hailuoParams.image`) or from the submit check. */
  errors: readonly string[] | undefined;
}

const RULES = 'JPG, PNG or WebP · under 20 MB · short side ≥ 300 px · aspect ratio between 2:5 and 5:2';

function Preview({ image, onRemove }: { image: PickedImage; onRemove: () => void }) {
  return (
    <div className="image-preview">
      <img src={image.previewUrl} alt={`Preview of ${image.name}`} />
      <div className="image-preview-meta">
        <strong className="truncate">{image.name}</strong>
        <span className="muted">
          {image.width}×{image.height} · {bytes(image.bytes)}
        </span>
        <button type="button" className="btn btn-small" onClick={onRemove}>
          Remove image
        </button>
      </div>
    </div>
  );
}

/** An image by upload (drag and drop or the file picker, checked in the browser) or by URL. */
export function ImageInput({ source, onSource, image, onImage, url, onUrl, required, errors }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [checking, setChecking] = useState(false);
  const [dragging, setDragging] = useState(false);
  const shown = [...problems, ...(errors ?? [])];

  const take = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    setChecking(true);
    setProblems([]);
    const r = await pickImage(file);
    setChecking(false);
    if (r.ok) onImage(r.image);
    else {
      onImage(null);
      setProblems(r.problems);
    }
    if (input.current) input.current.value = '';
  };

  const onDrop = (e: DragEvent): void => {
    e.preventDefault();
    setDragging(false);
    void take(e.dataTransfer.files[0]);
  };

  return (
    <div className={`field${shown.length ? ' has-error' : ''}`}>
      <div className="field-head">
        <span className="label" id="image-label">
          Image {required ? <span className="required">required for this model</span> : <span className="muted">(optional: image-to-video)</span>}
        </span>
        <Segmented
          name="image-source"
          legend="Image source"
          value={source}
          options={[
            { value: 'upload', label: 'Upload' },
            { value: 'url', label: 'URL' },
          ]}
          onChange={(s) => {
            setProblems([]);
            onSource(s);
          }}
        />
      </div>
      {source === 'upload' ? (
        image ? (
          <Preview
            image={image}
            onRemove={() => {
              onImage(null);
              setProblems([]);
            }}
          />
        ) : (
          <div
            className={`dropzone${dragging ? ' dragging' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <input
              ref={input}
              id="image-file"
              className="sr-only"
              type="file"
              accept="image/jpeg,image/png,image/webp"
              aria-labelledby="image-label image-file-label"
              aria-describedby={describedBy('image', shown, RULES)}
              onChange={(e) => void take(e.target.files?.[0])}
            />
            {checking ? (
              <Spinner label="Checking the image" />
            ) : (
              <>
                <p className="dropzone-title">Drop an image here</p>
                <label htmlFor="image-file" id="image-file-label" className="btn btn-small">
                  or choose a file
                </label>
              </>
            )}
          </div>
        )
      ) : (
        <input
          id="image-url"
          type="url"
          inputMode="url"
          placeholder="https://example.com/photo.jpg"
          value={url}
          onChange={(e) => onUrl(e.target.value)}
          aria-labelledby="image-label"
          aria-invalid={shown.length > 0}
          aria-describedby={describedBy('image', shown, RULES)}
        />
      )}
      <p className="hint" id="image-hint">
        {RULES}
      </p>
      <FieldErrors id="image" errors={shown} />
    </div>
  );
}
