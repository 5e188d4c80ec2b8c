import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';
import './styles.css';

// StrictMode mounts, unmounts and remounts every effect once in development: useSegmenter's
// cleanup (closing the worker pool) runs for real.
const root = createRoot(document.getElementById('root'));
root.render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// For the example tests: unmounting must close the worker pool.
(window.__tvunetExample ??= {}).unmount = () => root.unmount();
