export function App() {
  return <h1>Pillars</h1>;
}
