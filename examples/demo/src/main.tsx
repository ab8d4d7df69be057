// The demo page's entry: one registry for the page, the activity log following it, and the React tree.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { VerityProvider } from 'verity-xstate/react';
import { App } from './App';
import { Activity } from './activity';
import { createDemoRegistry } from './registry';
import './styles.css';

const activity = new Activity();
const registry = createDemoRegistry(activity);
activity.watch(registry);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <VerityProvider registry={registry}>
      <App activity={activity} registry={registry} />
    </VerityProvider>
  </StrictMode>,
);
