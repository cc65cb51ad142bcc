export function App() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: '2rem' }}>
      <h1>imgmeta</h1>
      <p>The inspector UI arrives in the next issue.</p>
    </main>
  );
}
