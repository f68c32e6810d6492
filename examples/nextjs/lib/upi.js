// Server-only helpers for UPI Checkout: the gateway call and the signature checks.
// Import this from pages/api/* only: it reads the secret key and webhook secret.
import crypto from 'node:crypto';

export const GATEWAY = (process.env.UPI_CHECKOUT_URL || 'http://127.0.0.1:3001').replace(/\/+$/, '');
const TOLERANCE_SECONDS = 300;

function hmacHex(key, message) {
  return crypto.createHmac('sha256', key).update(message).digest('hex');
}

function safeEqualHex(expected, given) {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(given || ''), 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function apiKey() {
  const key = process.env.UPI_CHECKOUT_KEY; // sk_test_… / sk_live_…: never NEXT_PUBLIC_*
  if (!key) throw new Error('UPI_CHECKOUT_KEY is not set');
  return key;
}

// X-UPI-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. Returns the event.
export function verifyWebhook(rawBody, header, secret = process.env.UPI_WEBHOOK_SECRET) {
  if (!secret) throw new Error('UPI_WEBHOOK_SECRET is not set');
  const parts = {};
  for (const item of String(header || '').split(',')) {
    const [name, ...rest] = item.trim().split('=');
    (parts[name] = parts[name] || []).push(rest.join('='));
  }
  const t = Number.parseInt((parts.t || [])[0], 10);
  if (!Number.isFinite(t)) throw new Error('no timestamp');
  if (Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) throw new Error('timestamp outside the tolerance');
  const expected = hmacHex(secret, `${t}.${rawBody.toString('utf8')}`);
  if (!(parts.v1 || []).some((given) => safeEqualHex(expected, given))) {
    throw new Error('signature does not match');
  }
  return JSON.parse(rawBody.toString('utf8'));
}

// The returnUrl query: signature = hex HMAC-SHA256(signing key, "orderId\nstatus\nt"),
// signing key = hex HMAC-SHA256(API key, "upi-checkout/signing").
export function redirectIsSigned(query) {
  const field = (name) => (typeof query[name] === 'string' ? query[name] : '');
  const t = Number.parseInt(field('t'), 10);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) return false;
  const signingKey = hmacHex(apiKey(), 'upi-checkout/signing');
  const message = [field('orderId'), field('status'), field('t')].join('\n');
  return safeEqualHex(hmacHex(signingKey, message), field('signature'));
}
