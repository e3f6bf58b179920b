import { useEffect, type ReactNode } from 'react';
import { href, navigate } from '../lib/router.js';

export interface NavItem {
  route: string;
  label: string;
  /** Whether the current route belongs to this item. */
  active: boolean;
}

/** A link inside the app: a real <a> (keyboard, middle-click), routed without a reload. */
export function Link({ to, children, className, ariaCurrent }: { to: string; children: ReactNode; className?: string; ariaCurrent?: boolean }) {
  return (
    <a
      href={href(to)}
      className={className}
      aria-current={ariaCurrent ? 'page' : undefined}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect x="2" y="6" width="28" height="20" rx="6" className="logo-frame" />
      <path d="M13 11.5v9l8-4.5z" className="logo-play" />
    </svg>
  );
}

interface ShellProps {
  title: string;
  nav: readonly NavItem[];
  /** Account summary and sign-out, at the right of the header. */
  account: ReactNode;
  children: ReactNode;
}

export function Shell({ title, nav, account, children }: ShellProps) {
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to={nav[0]?.route ?? '/'} className="brand">
            <Logo />
            <span>
              Reelay <span className="brand-sub">{title}</span>
            </span>
          </Link>
          <nav aria-label="Main" className="mainnav">
            {nav.map((n) => (
              <Link key={n.route} to={n.route} className="navlink" ariaCurrent={n.active}>
                {n.label}
              </Link>
            ))}
          </nav>
          <div className="account-slot">{account}</div>
        </div>
      </header>
      <main id="main" className="container" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

/** Replaces the route after render (navigating during render would update other components mid-render). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
