/**
 * Slack's documented example payloads that tests send as they are, verbatim but for the
 * `...` the pages use to elide blocks, which is left out so the text is JSON.
 */

/** api.slack.com/events/app_home_opened: a user clicked into the App Home. */
export const DOCUMENTED_APP_HOME_OPENED = {
  type: 'app_home_opened',
  user: 'U123ABC456',
  channel: 'D123ABC456',
  event_ts: '1515449522000016',
  tab: 'home',
  view: {
    id: 'V123ABC456',
    team_id: 'T123ABC456',
    type: 'home',
    blocks: [],
    private_metadata: '',
    callback_id: '',
    hash: '1231232323.12321312',
    clear_on_close: false,
    notify_on_close: false,
    root_view_id: 'V123ABC456',
    app_id: 'A123ABC456',
    external_id: '',
    app_installed_team_id: 'T123ABC456',
    bot_id: 'B123ABC456',
  },
};

