// Vue 3 composable for UPI Checkout's browser API (the seed's flow, with fetch).
//
//   const { createPayment, cancel, session, status, error, loading } = useUPIPayment();
//   await createPayment({ productDetails: { name: 'Blue mug' }, email: 'a@b.co', basePrice: 499, tax: 0 });
//   // session.value: { orderId, amount, url, upiString, qrCode, expiresAt }
//   // status.value: 'idle' | 'creating' | 'pending' | 'completed' | 'expired' | 'cancelled' | 'error'
//
// Your site's origin must be in the gateway's ALLOWED_ORIGINS. The browser only shows the
// result: fulfil the order on your server from the webhook. See PayButton.vue for a component.
import { computed, onScopeDispose, ref } from 'vue';

const DEFAULT_API_URL = 'http://127.0.0.1:3001';

export function useUPIPayment({ apiUrl = DEFAULT_API_URL, pollMs = 3000 } = {}) {
  const session = ref(null);
  const status = ref('idle');
  const error = ref(null);
  let timer = null;

  async function call(path, options) {
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

  function stopPolling() {
    clearInterval(timer);
    timer = null;
  }

  function startPolling(orderId) {
    stopPolling();
    timer = setInterval(async () => {
      try {
        const answer = await call(`/api/payment-status/${encodeURIComponent(orderId)}`);
        if (answer.status !== 'pending' && session.value?.orderId === orderId) {
          status.value = answer.status;
          stopPolling();
        }
      } catch {
        // a failed poll is not news about the payment: try again next time
      }
    }, pollMs);
  }

  async function createPayment(orderData) {
    stopPolling();
    status.value = 'creating';
    error.value = null;
    try {
      const { nonce } = await call('/api/nonce');
      const created = await call('/api/create-payment-session', postJson({
        orderId: `ORD-${Date.now()}`,
        couponCode: '',
        ...orderData,
        nonce,
      }));
      // The amount may carry extra paise (₹499.01) to tell payments apart: show it exactly.
      const qr = await call(`/api/upi-qr?amount=${encodeURIComponent(created.amount)}` +
        `&note=${encodeURIComponent(`Order ${created.orderId}`)}`);
      session.value = { ...created, qrCode: qr.qrCode };
      status.value = created.status; // 'pending'
      startPolling(created.orderId);
      return session.value;
    } catch (err) {
      error.value = err;
      status.value = 'error';
      throw err;
    }
  }

  async function cancel() {
    if (!session.value) return;
    try {
      const answer = await call('/api/payment-cancel', postJson({ orderId: session.value.orderId }));
      status.value = answer.status;
      stopPolling();
    } catch (err) {
      error.value = err; // 409: it was paid meanwhile; polling shows it
    }
  }

  onScopeDispose(stopPolling); // the component (or effect scope) went away

  return { createPayment, cancel, session, status, error, loading: computed(() => status.value === 'creating') };
}

export default useUPIPayment;
