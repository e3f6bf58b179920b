import { useSession } from '../../lib/session.js';
import { LedgerTable, useLedger } from '../../components/Ledger.js';

/** The account's ledger, newest first, older pages on request. */
export function LedgerPanel() {
  const { api } = useSession();
  const ledger = useLedger(api, '/v2/ledger');
  return (
    <section className="card" aria-labelledby="ledger-title">
      <div className="card-head">
        <h2 className="card-title" id="ledger-title">
          Ledger
        </h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={ledger.reload}>
          Refresh
        </button>
      </div>
      <LedgerTable ledger={ledger} jobLinks />
    </section>
  );
}
