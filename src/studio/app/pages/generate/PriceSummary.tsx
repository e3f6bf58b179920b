import type { KeyMode, Wallet } from '../../lib/types.js';
import { credits } from '../../lib/format.js';

interface Props {
  price: number | null;
  mode: KeyMode | undefined;
  wallet: Wallet | undefined;
}

/** What the job will cost, before submitting, against what the key's wallet holds. */
export function PriceSummary({ price, mode, wallet }: Props) {
  const short = price !== null && wallet !== undefined && wallet.available < price;
  return (
    <dl className="price" aria-live="polite">
      <div className="price-main">
        <dt>Price</dt>
        <dd>
          <strong id="price-credits">{price === null ? '—' : credits(price)}</strong> credits
        </dd>
      </div>
      {wallet ? (
        <div className={short ? 'price-short' : undefined}>
          <dt>Available ({mode === 'live' ? 'live' : 'test'})</dt>
          <dd>{credits(wallet.available)} credits</dd>
        </div>
      ) : null}
      {wallet && price !== null && !short ? (
        <div>
          <dt>After this job</dt>
          <dd>{credits(wallet.available - price)} credits</dd>
        </div>
      ) : null}
      {short ? <p className="price-warning">Not enough credits for this job.</p> : null}
    </dl>
  );
}
