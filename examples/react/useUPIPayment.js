// React hook for UPI Checkout's browser API (the seed's flow, with fetch).
//
//   const { createPayment, cancel, session, status, error } = useUPIPayment();
//   await createPayment({ productDetails: { name: 'Blue mug' }, email: 'a@b.co', basePrice: 499, tax: 0 });
//   // session: { orderId, amount, url, upiString, qrCode, expiresAt }
//   // status: 'idle' | 'creating' | 'pending' | 'completed' | 'expired' | 'cancelled' | 'error'
//
// Your site's origin must be in the gateway's ALLOWED_ORIGINS. The browser only shows the
// result: fulfil the order on your server from the webhook. No JSX here, so `node --check`
// and any bundler take it as is. See CheckoutButton.jsx for a component using it.
import { useCallback, useEffect, useRef, useState } from 'react';

const DEFAULT_API_URL = 'http://127.0.0.1:3001';

async function call(apiUrl, path, options) {
  const response = await fetch(`${apiUrl}${path}`, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

const postJson = (body) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

export function useUPIPayment({ apiUrl = DEFAULT_API_URL, pollMs = 3000 } = {}) {
  const [session, setSession] = useState(null);
  const [status, setStatus] = useState('idle');
  const [error, setError] = useState(null);
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);

  const createPayment = useCallback(async (orderData) => {
    setStatus('creating');
    setError(null);
    try {
      const { nonce } = await call(apiUrl, '/api/nonce');
      const created = await call(apiUrl, '/api/create-payment-session', postJson({
        orderId: `ORD-${Date.now()}`,
        couponCode: '',
        ...orderData,
        nonce,
      }));
      // The amount may carry extra paise (₹499.01) to tell payments apart: show it exactly.
      const qr = await call(apiUrl, `/api/upi-qr?amount=${encodeURIComponent(created.amount)}` +
        `&note=${encodeURIComponent(`Order ${created.orderId}`)}`);
      const next = { ...created, qrCode: qr.qrCode };
      if (mounted.current) {
        setSession(next);
        setStatus(created.status); // 'pending'
      }
      return next;
    } catch (err) {
      if (mounted.current) {
        setError(err);
        setStatus('error');
      }
      throw err;
    }
  }, [apiUrl]);

  // Poll while pending; stops on a final status, on unmount, or when a new payment starts.
  const orderId = session && session.orderId;
  useEffect(() => {
    if (!orderId || status !== 'pending') return undefined;
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const answer = await call(apiUrl, `/api/payment-status/${encodeURIComponent(orderId)}`);
        if (!stopped && answer.status !== 'pending') setStatus(answer.status);
      } catch {
        // a failed poll is not news about the payment: try again next time
      }
    }, pollMs);
    return () => { stopped = true; clearInterval(timer); };
  }, [apiUrl, orderId, status, pollMs]);

  const cancel = useCallback(async () => {
    if (!orderId) return;
    try {
      const answer = await call(apiUrl, '/api/payment-cancel', postJson({ orderId }));
      if (mounted.current) setStatus(answer.status);
    } catch (err) {
      if (mounted.current) setError(err); // 409: it was paid meanwhile; polling shows it
    }
  }, [apiUrl, orderId]);

  return { createPayment, cancel, session, status, error, loading: status === 'creating' };
}

export default useUPIPayment;
