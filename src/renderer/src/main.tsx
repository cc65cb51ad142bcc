import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './api';
import { App } from './App';
import { createQueryClient } from './queries';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('imgmeta: #root element is missing from index.html');

createRoot(container).render(
  <StrictMode>
    <App client={createClient()} queryClient={createQueryClient()} />
  </StrictMode>,
);
