// A component using the hook: QR + "Pay with UPI app" + status.
import { useUPIPayment } from './useUPIPayment';

export default function CheckoutButton({ apiUrl, email, name }) {
  const { createPayment, cancel, session, status, error, loading } = useUPIPayment({ apiUrl });

  const start = () =>
    createPayment({
      productDetails: { name: 'Blue mug', quantity: 1 },
      deliveryDetails: { name },
      email,
      basePrice: 499,
      tax: 0,
    }).catch(() => {}); // `error` holds it

  if (status === 'completed') return <p role="status">Payment received — thank you!</p>;
  if (status === 'expired' || status === 'cancelled') {
    return <p role="status">Payment {status}. <button onClick={start}>Try again</button></p>;
  }
  if (status === 'pending' && session) {
    return (
      <div aria-live="polite">
        <h2>Pay exactly ₹{Number(session.amount).toFixed(2)}</h2>
        <img src={session.qrCode} alt="UPI QR code" width={240} height={240} />
        <p>
          <a href={session.upiString}>Pay with a UPI app</a> ·{' '}
          <a href={session.url} target="_blank" rel="noopener noreferrer">open the payment page</a>
        </p>
        <p>Waiting for your payment…</p>
        <button onClick={cancel}>Cancel</button>
      </div>
    );
  }
  return (
    <>
      <button onClick={start} disabled={loading}>{loading ? 'Starting…' : 'Pay ₹499 with UPI'}</button>
      {error && <p role="alert">Could not start the payment: {error.message}</p>}
    </>
  );
}
