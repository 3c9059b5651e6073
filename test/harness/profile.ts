// User settings for the test profile: no welcome page, tips, telemetry or update checks, so the
// workbench opens straight to the editor. Note: a web workbench in extension development mode
// (an `extensionDevelopmentPath` in its payload) does not read the profile's settings.json, so
// nothing a test depends on goes here; the model comes from ATTENTION_LENS_MODEL instead.
export const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'chat.commandCenter.enabled': false,
};
