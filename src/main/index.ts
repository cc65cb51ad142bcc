// Electron main process entry: everything is in app.ts, so that tests can start the app with their own arguments.
import { startApp } from './app';

startApp().catch((err: unknown) => {
  console.error('imgmeta: the app failed to start:', err);
  process.exit(1);
});
