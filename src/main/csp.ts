/**
 * The renderer's Content Security Policy, sent as a response header by the app:// handler (and, in development, added
 * to the dev server's responses). Only the app's own scripts run; styles may be inline (React's style props); images
 * may be data: URLs; nothing may frame the app, be framed by it, post a form or load plugins. No Electron or Node
 * import, so any transport that serves the renderer can send the same policy.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * `electron-vite dev` only: @vitejs/plugin-react injects an inline Fast Refresh preamble and Vite's client talks to
 * its dev server over a WebSocket. Neither exists in a built app, which keeps the strict policy above.
 */
export const developmentContentSecurityPolicy = contentSecurityPolicy
  .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
  .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*");
