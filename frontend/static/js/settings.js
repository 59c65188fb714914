/**
 * settings.js — the deployment's settings, read from the page's JSON data island.
 *
 * Owns: reading `<script type="application/json" id="app-settings">` (written by
 * site_renderer.render; never executed, so the Content-Security-Policy needs no inline script) and
 * checking that it holds what the modules rely on.
 */

export class SettingsError extends Error {}

/** Read and check the settings the render step injected into the page. */
export function readSettings(doc = document) {
  const island = doc.getElementById('app-settings');
  if (!island) throw new SettingsError('the page has no settings (was it rendered?)');
  let settings;
  try {
    settings = JSON.parse(island.textContent);
  } catch (err) {
    throw new SettingsError(`the page settings are not valid JSON: ${err.message}`);
  }
  if (!settings || typeof settings.wsUrl !== 'string' || !/^wss?:\/\//.test(settings.wsUrl)) {
    throw new SettingsError('the page settings have no WebSocket URL');
  }
  if (!Array.isArray(settings.languages) || settings.languages.length === 0) {
    throw new SettingsError('the page settings list no languages');
  }
  settings.limits = { contentChars: 2000, contentBytes: 5000, historyPage: 50, ...settings.limits };
  settings.timing = { heartbeatSeconds: 270, plannedReconnectSeconds: 6600, ...settings.timing };
  return Object.freeze(settings);
}
