// What a session negotiated, as the API read it from the socket: protocol, cipher, the server's
// certificate and when it expires. Shown under a test's tls step and in the connection page's TLS
// panel; never built from what the settings asked for.
import { Badge } from './ui';

/** Below this many days a certificate's expiry is shown as a warning (the API's test warns too). */
export const CERTIFICATE_WARNING_DAYS = 30;

export interface CertificateView {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  validTo: string;
  daysToExpiry: number;
}

export interface NegotiatedTlsView {
  protocol?: string | undefined;
  cipher?: string | undefined;
  alpnProtocol?: string | null | undefined;
  authorized?: boolean | undefined;
  certificate?: CertificateView | null | undefined;
}

function days(n: number): string {
  return `${n} day${n === 1 || n === -1 ? '' : 's'}`;
}

/** "2027-12-05 (in 364 days)", a warning badge below 30 days, a danger one once expired. */
export function CertificateExpiry({ certificate }: { certificate: Pick<CertificateView, 'validTo' | 'daysToExpiry'> }) {
  const date = certificate.validTo.slice(0, 10);
  const n = certificate.daysToExpiry;
  if (n < 0) {
    return (
      <span data-testid="certificate-expiry">
        {date} <Badge tone="danger">Expired {days(-n)} ago</Badge>
      </span>
    );
  }
  return (
    <span data-testid="certificate-expiry">
      {date} (in {days(n)}){n < CERTIFICATE_WARNING_DAYS ? <> <Badge tone="warning">Expires soon</Badge></> : null}
    </span>
  );
}

/** One line under the tls step: protocol · cipher · certificate · expiry. */
export function TlsLine({ tls }: { tls: NegotiatedTlsView }) {
  const certificate = tls.certificate;
  return (
    <span className="tls-line small">
      {[tls.protocol, tls.alpnProtocol, tls.cipher, certificate?.subject].filter(Boolean).join(' · ')}
      {certificate ? (
        <>
          {' · expires '}
          <CertificateExpiry certificate={certificate} />
        </>
      ) : null}
    </span>
  );
}

/** The full picture, as a definition list. */
export function TlsDetails({ tls }: { tls: NegotiatedTlsView }) {
  const certificate = tls.certificate;
  return (
    <dl className="details" data-testid="tls-details">
      <dt>Protocol</dt>
      <dd data-testid="tls-protocol">
        {tls.protocol}
        {tls.alpnProtocol ? ` (${tls.alpnProtocol})` : ''}
      </dd>
      <dt>Cipher</dt>
      <dd>{tls.cipher}</dd>
      <dt>Certificate</dt>
      <dd>
        {tls.authorized ? (
          'checked against the trusted CAs'
        ) : (
          <>
            <Badge tone="warning">Not checked</Badge> the connection trusts any certificate
          </>
        )}
      </dd>
      {certificate ? (
        <>
          <dt>Subject</dt>
          <dd>{certificate.subject}</dd>
          <dt>Issuer</dt>
          <dd>{certificate.issuer}</dd>
          <dt>Names</dt>
          <dd>{certificate.subjectAltNames.length > 0 ? certificate.subjectAltNames.join(', ') : <span className="muted">none</span>}</dd>
          <dt>Expires</dt>
          <dd>
            <CertificateExpiry certificate={certificate} />
          </dd>
        </>
      ) : null}
    </dl>
  );
}
