// The shop page: a Buy button that asks our own API route for a checkout and goes there.
import { useRouter } from 'next/router';
import { useState } from 'react';

export default function Shop() {
  const { query } = useRouter(); // after /api/upi-return: ?orderId=…&status=…
  const [error, setError] = useState(null);

  async function buy() {
    setError(null);
    const response = await fetch('/api/checkout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ productId: 'mug' }),
    });
    const body = await response.json();
    if (!response.ok) return setError(body.error);
    window.location.assign(body.url); // the hosted payment page
  }

  return (
    <main>
      <h1>Example shop</h1>
      {query.status === 'completed' && (
        <p role="status">Thanks! We'll confirm order {query.orderId} as soon as the payment reaches us.</p>
      )}
      {query.status && query.status !== 'completed' && (
        <p role="status">The payment was not completed ({query.status}).</p>
      )}
      <p>Blue mug: ₹499</p>
      <button onClick={buy}>Buy with UPI</button>
      {error && <p role="alert">{error}</p>}
    </main>
  );
}
