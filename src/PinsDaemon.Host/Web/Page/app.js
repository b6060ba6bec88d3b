// PinsDaemon's page. Plain script, no build step, no dependencies.
// Rules kept throughout: text from the daemon (package output, messages, names) goes into the
// page through textContent only, never as HTML; the token is read from the form once, sent in
// one request and kept nowhere; the anti-forgery token lives in this script's memory only.
'use strict';

(() => {
  /** Lines kept in the page; older ones are dropped from view (the daemon keeps the whole log). */
  const MAX_LOG_LINES = 10000;
  /** How often the shown job is re-read while it runs (cancellable, warning, progress). */
  const JOB_POLL_MS = 2000;
  /** How often the history is re-read, to see jobs that other clients started. */
  const HISTORY_POLL_MS = 10000;
  /** A dry run younger than this is shown for confirmation as it is; an older one is run again. */
  const PLAN_FRESH_MS = 15 * 60 * 1000;
  /** Reconnect delays: quick after a blip, at most this long while the daemon is down. */
  const RECONNECT_MIN_MS = 250;
  const RECONNECT_MAX_MS = 5000;
  /** How often the fleet's hosts and rollouts are re-read (only when the daemon is in a fleet). */
  const FLEET_POLL_MS = 10000;
  /** How often the shown rollout is re-read while it is not over (each host's state). */
  const ROLLOUT_POLL_MS = 2000;

  /** Where each phase sits on the one overall bar (start and end, in percent). */
  const PHASE_SPANS = {
    apply: { update: [0, 20], download: [20, 50], install: [50, 100] },
    dryRun: { update: [0, 70], download: [70, 70], install: [70, 100] },
  };

  const PHASE_NAMES = {
    update: 'Updating package lists',
    download: 'Downloading packages',
    install: 'Installing',
  };

  const STATUS_NAMES = {
    running: 'Running',
    succeeded: 'Succeeded',
    failed: 'Failed',
    cancelled: 'Cancelled',
    timedOut: 'Timed out',
    interrupted: 'Interrupted',
  };

  /** The API's reason codes in plain words. */
  const REASONS = {
    lockHeld: 'another package manager held the package lock for too long',
    updateFailed: 'a package repository could not be reached or read',
    releaseInfoChanged: 'a repository changed its release information, and apt wants that accepted by hand',
    dpkgRepairFailed: 'an earlier interrupted dpkg run could not be repaired',
    dpkgInterrupted: 'an earlier dpkg run was interrupted and needs repair',
    upgradeFailed: 'apt or dpkg reported an error while upgrading',
    scriptError: 'the upgrade script could not set itself up (its temporary or runs directory)',
    sudoRefused: 'sudo refused to run the upgrade script (its sudoers rule is missing or wrong)',
    startFailed: 'the run could not be started (the script is missing, or another run is active)',
    notRoot: 'the upgrade script was not running as root',
    badArguments: 'the upgrade script refused its arguments',
    scriptFailed: 'the upgrade script failed',
    stopped: 'it was stopped from outside the daemon (for example by a shutdown) before dpkg started',
    cancelled: 'it was cancelled on request',
    timedOut: 'it ran longer than the daemon allows (Upgrade:Timeout)',
    rebootDuringRun: 'the machine restarted while the upgrade ran',
    runnerLost: 'the run disappeared without saying how it ended',
  };

  /** Who runs the upgrade, outside the daemon (the job's supervisor field). */
  function supervisorText(job) {
    switch (job.supervisor) {
      case 'systemd':
        return `Run by systemd as pinsdaemon-upgrade@${job.dryRun ? 'dry-run' : 'apply'}-${job.jobId}.service`;
      case 'detached':
        return 'Run detached, in a session of its own (no systemd)';
      default:
        return '';
    }
  }

  const $ = (id) => document.getElementById(id);

  const state = {
    csrf: null,
    jobs: [],
    job: null,
    jobId: null,
    stream: null,
    progressFloor: 0,
    droppedLines: 0,
    confirmAfter: null,
    clockOffset: 0,
    timers: [],
    lastJobPoll: 0,
    lastHistoryPoll: 0,
    host: null,
    signedIn: false,
    // The fleet: null until known, false on a single host (no fleet API), true in a fleet.
    fleet: null,
    fleetHosts: [],
    rollouts: [],
    rollout: null,
    rolloutId: null,
    rolloutChosen: false,
    pendingRollout: null,
    fleetStream: null,
    fleetDropped: 0,
    lastFleetPoll: 0,
    lastRolloutPoll: 0,
    // A reboot request (POST or DELETE /reboot) is on its way.
    rebootBusy: false,
    // Counts the reboot changes made here, so a GET /host asked before one is not shown after it.
    rebootChanges: 0,
  };

  class ApiError extends Error {
    constructor(status, message, problem) {
      super(message);
      this.status = status;
      this.problem = problem;
    }
  }

  // ---- HTTP -------------------------------------------------------------------------------

  async function api(method, path, body, { signInRequest = false } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }

    if (method !== 'GET' && state.csrf) {
      headers['X-CSRF-Token'] = state.csrf;
    }

    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'error',
      });
    } catch {
      throw new ApiError(0, 'The daemon cannot be reached.', null);
    }

    noteServerClock(response);
    let data = null;
    if ((response.headers.get('Content-Type') || '').includes('json')) {
      data = await response.json().catch(() => null);
    }

    if (response.status === 401 && !signInRequest && state.signedIn) {
      showSignIn('Your session has ended. Sign in again.');
    }

    if (!response.ok) {
      const detail = data && (data.detail || data.title);
      throw new ApiError(response.status, detail || `The daemon answered ${response.status}.`, data);
    }

    return data;
  }

  /** Elapsed times use the daemon's clock, so a phone with a wrong clock still shows the truth. */
  function noteServerClock(response) {
    const date = Date.parse(response.headers.get('Date') || '');
    if (!Number.isNaN(date)) {
      const offset = date - Date.now();
      // The Date header has one-second resolution: ignore differences it cannot tell apart.
      state.clockOffset = Math.abs(offset) > 2000 ? offset : 0;
    }
  }

  const now = () => Date.now() + state.clockOffset;

  // ---- DOM helpers (text only) --------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }

    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }

    return node;
  }

  function setText(id, text) {
    $(id).textContent = text === undefined || text === null ? '' : String(text);
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  function formatDuration(ms) {
    if (!Number.isFinite(ms) || ms < 0) {
      return '';
    }

    const total = Math.floor(ms / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
  }

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ''
      : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  function versionChange(from, to) {
    if (from && to) {
      return `${from} → ${to}`;
    }

    return from ? `${from} → removed` : `new → ${to || '?'}`;
  }

  function modeName(job) {
    // Jobs other clients started may be full-upgrades or add autoremove (the page starts plain upgrades).
    const extras = [job.mode && job.mode !== 'upgrade' ? job.mode : '', job.autoremove ? 'autoremove' : ''].filter(Boolean);
    return `${job.dryRun ? 'Dry run' : 'Upgrade'}${extras.length ? ` (${extras.join(', ')})` : ''}`;
  }

  /** Whether a job ran what the page's own buttons run: apt-get upgrade, without autoremove. */
  function isPlainUpgrade(job) {
    return (!job.mode || job.mode === 'upgrade') && !job.autoremove;
  }

  // ---- signing in and out -------------------------------------------------------------------

  function showSignIn(message) {
    state.signedIn = false;
    state.csrf = null;
    stopFollowing();
    stopFollowingRollout();
    stopTimers();
    show('app-view', false);
    show('sign-out', false);
    show('sign-in-view', true);
    setText('sign-in-error', message);
    $('token').focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $('token');
    const token = input.value.trim();
    // Gone from the page before the request leaves: nothing keeps it but this one call.
    input.value = '';
    if (!token) {
      setText('sign-in-error', 'Paste the token first.');
      return;
    }

    const button = $('sign-in');
    button.disabled = true;
    try {
      const session = await api('POST', '/session', { token }, { signInRequest: true });
      enterApp(session.csrfToken);
    } catch (error) {
      setText('sign-in-error', error.status === 401 ? 'That token is not right.' : error.message);
      input.focus();
    } finally {
      button.disabled = false;
    }
  }

  async function signOut() {
    try {
      await api('DELETE', '/session');
    } catch {
      // Signed out here either way; the session also ends on its own when unused.
    }

    showSignIn('Signed out.');
  }

  function enterApp(csrfToken) {
    state.csrf = csrfToken;
    state.signedIn = true;
    show('sign-in-view', false);
    show('app-view', true);
    show('sign-out', true);
    setText('sign-in-error', '');
    startTimers();
    refreshHost();
    refreshHistory().then(() => route());
    if (state.fleet === null) {
      state.lastFleetPoll = Date.now();
      detectFleet();
    } else if (state.fleet) {
      refreshFleet();
    }
  }

  // ---- timers -----------------------------------------------------------------------------

  function startTimers() {
    stopTimers();
    state.timers.push(setInterval(tick, 1000));
  }

  function stopTimers() {
    state.timers.forEach(clearInterval);
    state.timers = [];
  }

  function tick() {
    renderElapsed();
    const t = Date.now();
    if (state.job && state.job.status === 'running' && t - state.lastJobPoll >= JOB_POLL_MS) {
      refreshJob();
    }

    if (t - state.lastHistoryPoll >= HISTORY_POLL_MS) {
      refreshHistory().then(followRunningJob);
      refreshHost();
    }

    if (state.fleet && t - state.lastFleetPoll >= FLEET_POLL_MS) {
      refreshFleet();
    }

    if (state.fleet && state.rollout && !rolloutIsFinal(state.rollout) && t - state.lastRolloutPoll >= ROLLOUT_POLL_MS) {
      refreshRollout();
    }
  }

  // ---- the machine (GET /host) --------------------------------------------------------------

  async function refreshHost() {
    const changes = state.rebootChanges;
    let host;
    try {
      host = await api('GET', '/host');
    } catch {
      // Not essential: the rest of the page works without it.
      return;
    }

    // Asked before a reboot was scheduled or cancelled here: it would show the old state again.
    if (changes !== state.rebootChanges) {
      return;
    }

    state.host = host;
    renderHost(host);
  }

  function formatUptime(seconds) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      return '';
    }

    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    return days > 0 ? `up ${plural(days, 'day', 'days')}` : `up ${plural(hours, 'hour', 'hours')}`;
  }

  function renderHost(host) {
    const facts = [
      host.os && (host.os.prettyName || host.os.id),
      host.architecture,
      host.kernel && `kernel ${host.kernel}`,
      formatUptime(host.uptimeSeconds),
    ].filter(Boolean);
    setText('host-facts', facts.join(' · '));

    const pending = host.pendingUpdates;
    let updates = '';
    if (pending) {
      const security = pending.securityCount > 0 ? ` (${pending.securityCount} security)` : '';
      updates = pending.count === 0
        ? `Up to date at the last check (${formatTime(pending.checkedAt)}).`
        : `${plural(pending.count, 'update', 'updates')} waiting${security}, found by the dry run of ${formatTime(pending.checkedAt)}.`;
    } else if (!host.runningJob) {
      updates = 'Updates waiting: unknown until a dry run.';
    }

    setText('host-updates', updates);

    // The machine's own flag (/run/reboot-required), whoever installed the packages that set it.
    const reboot = $('host-reboot');
    if (host.rebootRequired) {
      const packages = host.rebootRequiredPackages && host.rebootRequiredPackages.length
        ? `, because of ${host.rebootRequiredPackages.join(', ')}`
        : '';
      reboot.textContent = `This machine needs a reboot${packages}.`;
      reboot.hidden = false;
    } else {
      reboot.hidden = true;
    }

    renderButtons();
  }

  // ---- rebooting (POST and DELETE /reboot) --------------------------------------------------

  function formatClock(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ''
      : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  /** The Reboot button, or the scheduled reboot (asked for here or elsewhere) and its Cancel. */
  function renderReboot() {
    const host = state.host;
    if (!host) {
      return;
    }

    const allowed = host.rebootAllowed === true;
    const scheduled = host.rebootScheduledAt || null;
    show('reboot-controls', allowed || Boolean(scheduled));
    show('reboot-off', !allowed && !scheduled);
    show('reboot-scheduled', Boolean(scheduled));
    setText('reboot-scheduled', scheduled ? `Reboot scheduled at ${formatClock(scheduled)}.` : '');
    // Cancelling is refused too without Host:AllowReboot (then only who scheduled it can cancel it).
    show('reboot-cancel', allowed && Boolean(scheduled));
    show('reboot', allowed && !scheduled);
    // The daemon refuses a reboot while a job runs (409): say so before anyone tries.
    const busy = Boolean(runningJob() || host.runningJob || (state.job && state.job.status === 'running'));
    const button = $('reboot');
    button.disabled = busy || state.rebootBusy;
    let reason = '';
    if (scheduled) {
      reason = 'Dry run and Upgrade wait until then.';
    } else if (allowed && busy) {
      reason = 'Not while a job runs: reboot once it has ended.';
    }

    setText('reboot-reason', reason);
  }

  function rebootClicked() {
    setText('reboot-error', '');
    setText('reboot-confirm-title', `Reboot ${location.hostname}?`);
    const dialog = $('reboot-confirm');
    dialog.returnValue = '';
    dialog.showModal();
    $('reboot-confirm-no').focus();
  }

  async function changeReboot(method) {
    setText('reboot-error', '');
    state.rebootBusy = true;
    $('reboot-cancel').disabled = true;
    renderReboot();
    try {
      const answer = await api(method, '/reboot');
      state.rebootChanges += 1;
      if (state.host) {
        state.host.rebootScheduledAt = answer ? answer.rebootAt : null;
      }
    } catch (error) {
      setText('reboot-error', error.message);
    } finally {
      state.rebootBusy = false;
      $('reboot-cancel').disabled = false;
      renderButtons();
      refreshHost();
    }
  }

  // ---- history ----------------------------------------------------------------------------

  async function refreshHistory() {
    state.lastHistoryPoll = Date.now();
    try {
      state.jobs = await api('GET', '/jobs');
    } catch {
      return;
    }

    renderHistory();
    renderButtons();
  }

  function renderHistory() {
    const body = $('history').tBodies[0];
    const rows = state.jobs.map((job) => {
      const row = el('tr', job.jobId === state.jobId ? 'current' : '');
      row.append(
        el('td', '', formatTime(job.startedAt || job.createdAt)),
        el('td', '', modeName(job)),
      );
      const status = el('td');
      status.append(el('span', `badge ${job.status}`, STATUS_NAMES[job.status] || job.status));
      row.append(status, el('td', '', duration(job)));
      const link = el('a', '', 'Log');
      link.href = `#job=${encodeURIComponent(job.jobId)}`;
      link.setAttribute('aria-label', `Log of the ${modeName(job).toLowerCase()} of ${formatTime(job.startedAt || job.createdAt)}`);
      const cell = el('td');
      cell.append(link);
      row.append(cell);
      return row;
    });
    body.replaceChildren(...rows);
    show('history-empty', state.jobs.length === 0);
  }

  function duration(job) {
    const start = Date.parse(job.startedAt || job.createdAt);
    const end = job.finishedAt ? Date.parse(job.finishedAt) : now();
    return formatDuration(end - start);
  }

  function runningJob() {
    return state.jobs.find((job) => job.status === 'running');
  }

  function renderButtons() {
    const busy = Boolean(runningJob()) || (state.job && state.job.status === 'running');
    // The daemon starts no job while a reboot is scheduled (409): no button that can only be refused.
    const rebooting = Boolean(state.host && state.host.rebootScheduledAt);
    $('dry-run').disabled = busy || rebooting;
    $('upgrade').disabled = busy || rebooting;
    renderReboot();
  }

  // ---- which job is shown -----------------------------------------------------------------

  function pinnedJobId() {
    const match = /^#job=([0-9a-fA-F-]{36})$/.exec(location.hash);
    return match ? match[1] : null;
  }

  /** The job named in the address, else the running one, else the newest. */
  function route() {
    const pinned = pinnedJobId();
    const target = pinned || (runningJob() || state.jobs[0] || {}).jobId;
    if (target) {
      showJob(target);
    }
  }

  /** A job started elsewhere is followed, unless the user chose another one to look at. */
  function followRunningJob() {
    const running = runningJob();
    if (running && !pinnedJobId() && running.jobId !== state.jobId) {
      showJob(running.jobId);
    }
  }

  function showJob(jobId) {
    if (jobId === state.jobId) {
      return;
    }

    stopFollowing();
    state.jobId = jobId;
    state.job = null;
    state.progressFloor = 0;
    clearLog();
    show('job', true);
    setText('connection', '');
    renderHistory();
    refreshJob().then(() => {
      if (state.jobId === jobId) {
        state.stream = new LogStream(jobId);
        state.stream.connect();
      }
    });
  }

  async function refreshJob() {
    const jobId = state.jobId;
    if (!jobId) {
      return;
    }

    state.lastJobPoll = Date.now();
    try {
      const job = await api('GET', `/jobs/${encodeURIComponent(jobId)}`);
      if (state.jobId === jobId) {
        renderJob(job);
      }
    } catch (error) {
      if (error.status === 404 && state.jobId === jobId) {
        setText('connection', 'This job is no longer kept by the daemon.');
      }
    }
  }

  // ---- the shown job ----------------------------------------------------------------------

  function renderJob(job) {
    state.job = job;
    setText('job-title', `${modeName(job)} · ${formatTime(job.startedAt || job.createdAt)}`);
    const badge = $('job-status');
    badge.className = `badge ${job.status}`;
    badge.textContent = STATUS_NAMES[job.status] || job.status;
    setText('job-supervisor', supervisorText(job));

    const running = job.status === 'running';
    // Phase, bar and package while it runs; once it has ended, the banner says how.
    show('live', running);
    show('cancel', running && job.cancellable === true);
    show('warning', running && Boolean(job.warning));
    setText('warning', running ? job.warning : '');
    if (running && job.progress) {
      renderProgress(job.progress);
    } else if (running) {
      // Scripts that do not speak the status channel give no progress: say what is known.
      setText('phase', job.lineCount > 0 || $('log').childElementCount > 0 ? 'Running' : 'Starting');
      setText('package', '');
    } else {
      renderFinished(job);
    }

    renderPlan(job);
    renderChanged(job);
    renderElapsed();
    renderButtons();
    const listed = state.jobs.find((entry) => entry.jobId === job.jobId);
    if (!listed || listed.status !== job.status) {
      // The history lags behind the shown job (it started or ended since): catch up now, and
      // on the machine's state, which a job's end changes (updates waiting, reboot needed).
      refreshHistory();
      refreshHost();
    }

    if (!running && state.confirmAfter === job.jobId) {
      state.confirmAfter = null;
      setText('action-error', '');
      if (job.status === 'succeeded' && isPlainUpgrade(job) && job.plan && job.plan.length > 0) {
        confirmUpgrade(job);
      }
    }
  }

  function renderProgress(progress) {
    const job = state.job;
    const spans = job && job.dryRun ? PHASE_SPANS.dryRun : PHASE_SPANS.apply;
    const span = spans[progress.phase];
    const bar = $('progress');
    if (span) {
      const percent = typeof progress.percent === 'number' ? Math.min(100, Math.max(0, progress.percent)) : 0;
      // One bar for the whole job: it never moves back when a phase starts over at 0 %.
      state.progressFloor = Math.max(state.progressFloor, span[0] + ((span[1] - span[0]) * percent) / 100);
      bar.value = state.progressFloor;
    }

    const phase = job && job.dryRun && progress.phase === 'install'
      ? 'Simulating the upgrade'
      : PHASE_NAMES[progress.phase] || progress.phase;
    setText('phase', `${phase} · ${Math.floor(state.progressFloor)} %`);
    const details = [progress.package, progress.message].filter(Boolean);
    setText('package', details.length ? details.join(' — ') : '');
  }

  function renderFinished(job) {
    if (job.status === 'succeeded') {
      state.progressFloor = 100;
      $('progress').value = 100;
    }

    renderBanner(job);
  }

  function renderElapsed() {
    const job = state.job;
    if (!job || !(job.startedAt || job.createdAt)) {
      setText('elapsed', '');
      return;
    }

    const took = duration(job);
    setText('elapsed', job.status === 'running' ? `Elapsed ${took}` : `Took ${took}`);
  }

  function outcome(job) {
    const reason = REASONS[job.reason];
    const mode = modeName(job);
    switch (job.status) {
      case 'succeeded':
        if (job.dryRun) {
          const count = job.plan ? job.plan.length : null;
          if (count === 0) {
            return 'Dry run finished: nothing to upgrade.';
          }

          return count === null ? 'Dry run finished.' : `Dry run finished: ${plural(count, 'package', 'packages')} would change.`;
        }

        return job.upgraded ? `Upgrade finished: ${plural(job.upgraded.length, 'package', 'packages')} changed.` : 'Upgrade finished.';
      case 'failed':
        return reason ? `${mode} failed: ${reason}.` : `${mode} failed.`;
      case 'cancelled':
        return `${mode} cancelled before anything changed.`;
      case 'timedOut':
        return `${mode} stopped: it ran longer than the daemon allows (Upgrade:Timeout).`;
      case 'interrupted':
        return reason ? `${mode} interrupted: ${reason}.` : `${mode} interrupted: how it ended is unknown.`;
      default:
        return `${mode}: ${job.status}.`;
    }
  }

  function renderBanner(job) {
    const banner = $('banner');
    banner.className = `banner ${job.status}`;
    setText('banner-outcome', outcome(job));
    setText('banner-message', job.message);
    const reboot = $('banner-reboot');
    if (job.rebootRequired) {
      const packages = job.rebootRequiredPackages && job.rebootRequiredPackages.length
        ? `, because of ${job.rebootRequiredPackages.join(', ')}`
        : '';
      reboot.textContent = `Reboot required${packages}.`;
      reboot.className = 'reboot';
      reboot.hidden = false;
    } else {
      reboot.hidden = true;
    }

    const services = $('banner-services');
    if (job.servicesNeedingRestart && job.servicesNeedingRestart.length) {
      services.textContent = `Services still running old code, to restart: ${job.servicesNeedingRestart.join(', ')}.`;
      services.hidden = false;
    } else {
      services.hidden = true;
    }

    banner.hidden = false;
  }

  function planRow(entry, withOrigin) {
    const row = el('tr');
    const action = entry.action && entry.action !== 'upgrade' ? ` (${entry.action})` : '';
    row.append(el('td', '', entry.package + action), el('td', 'version', versionChange(entry.from, entry.to)));
    if (withOrigin) {
      row.append(el('td', 'origin', entry.origin || ''));
    }

    return row;
  }

  function renderPlan(job) {
    const plan = job.dryRun && job.status === 'succeeded' ? job.plan : null;
    show('plan', Boolean(plan));
    if (!plan) {
      return;
    }

    setText('plan-title', plan.length === 0
      ? 'Plan: nothing to upgrade'
      : `Plan: ${plural(plan.length, 'package', 'packages')} would change`);
    $('plan-table').tBodies[0].replaceChildren(...plan.map((entry) => planRow(entry, true)));
    show('plan-table', plan.length > 0);
  }

  function renderChanged(job) {
    const changed = !job.dryRun && job.upgraded && job.upgraded.length ? job.upgraded : null;
    show('changed', Boolean(changed));
    if (!changed) {
      return;
    }

    // Known once the run has ended (dpkg's database before and after); null while it runs.
    setText('changed-title', `Changed: ${plural(changed.length, 'package', 'packages')}`);
    $('changed-table').tBodies[0].replaceChildren(...changed.map((entry) => planRow(entry, false)));
  }

  // ---- the log ----------------------------------------------------------------------------

  function clearLog() {
    $('log').replaceChildren();
    show('banner', false);
    show('follow', false);
    show('plan', false);
    show('changed', false);
    show('cancel', false);
    show('warning', false);
    $('progress').removeAttribute('value');
    setText('phase', 'Starting');
    setText('package', '');
    setText('elapsed', '');
    setText('job-supervisor', '');
    state.droppedLines = 0;
  }

  function atBottom(log) {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  }

  function appendLines(lines) {
    const log = $('log');
    const follow = atBottom(log);
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      fragment.append(el('div', line.stream === 'stderr' ? 'stderr' : '', line.text));
    }

    log.append(fragment);
    trimLog(log);
    if (follow) {
      log.scrollTop = log.scrollHeight;
    }

    show('follow', !atBottom(log));
  }

  function trimLog(log) {
    let excess = log.childElementCount - MAX_LOG_LINES - (state.droppedLines ? 1 : 0);
    if (excess <= 0) {
      return;
    }

    let marker = log.firstElementChild;
    if (!state.droppedLines) {
      marker = el('div', 'dropped');
      log.prepend(marker);
    }

    while (excess-- > 0 && marker.nextElementSibling) {
      marker.nextElementSibling.remove();
      state.droppedLines++;
    }

    marker.textContent = `${plural(state.droppedLines, 'earlier line', 'earlier lines')} not shown here; the daemon keeps them all (GET /jobs/${state.jobId}/log).`;
  }

  // ---- the live stream ----------------------------------------------------------------------

  /**
   * One job's log over the WebSocket, with a fresh single-use ticket for every connection.
   * After a drop it reconnects on its own with ?after= the last line shown, so the page shows
   * every line once, in order: a line at or below that seq is a repeat and skipped; a line
   * beyond the next one means a gap, and the stream is resumed from the last line shown.
   */
  // A log WebSocket opened with a single-use ticket, reconnecting with a growing delay and
  // resuming after what it already has. The job's log and the fleet's merged log differ only in
  // where the ticket comes from, what "after" says, their frames, and where the state shows.
  class TicketedStream {
    constructor(ticketPath, statusId, goneText) {
      this.ticketPath = ticketPath;
      this.statusId = statusId;
      this.goneText = goneText;
      this.attempt = 0;
      this.closed = false;
      this.ended = false;
      this.socket = null;
      this.timer = null;
    }

    async connect() {
      this.timer = null;
      if (this.closed) {
        return;
      }

      let ticket;
      try {
        ticket = await api('POST', this.ticketPath);
      } catch (error) {
        if (error.status === 404) {
          setText(this.statusId, this.goneText);
        } else if (error.status !== 401) {
          this.retry();
        }

        return;
      }

      if (this.closed) {
        return;
      }

      const url = new URL(ticket.logsUrl, location.href);
      url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
      this.resumeFrom(url.searchParams);
      let socket;
      try {
        socket = new WebSocket(url.href);
      } catch {
        this.retry();
        return;
      }

      this.socket = socket;
      socket.onopen = () => {
        if (this.attempt > 0) {
          setText(this.statusId, 'Reconnected.');
        }

        this.attempt = 0;
      };
      socket.onmessage = (event) => this.onMessage(socket, event.data);
      socket.onclose = (event) => this.onClose(socket, event.code);
    }

    // Whether a close with this code means the log is gone for good (nothing to reconnect to).
    closedForGood() {
      return false;
    }

    onClose(socket, code) {
      if (socket !== this.socket) {
        return;
      }

      this.socket = null;
      if (this.closed || this.ended) {
        return;
      }

      if (this.closedForGood(code)) {
        setText(this.statusId, this.goneText);
        return;
      }

      this.retry();
    }

    retry() {
      if (this.closed || this.timer) {
        return;
      }

      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempt);
      this.attempt++;
      setText(this.statusId, this.attempt > 1 ? 'Connection lost; reconnecting…' : 'Reconnecting…');
      this.timer = setTimeout(() => this.connect(), delay);
    }

    close() {
      this.closed = true;
      clearTimeout(this.timer);
      if (this.socket) {
        const socket = this.socket;
        this.socket = null;
        socket.close();
      }
    }
  }

  class LogStream extends TicketedStream {
    constructor(jobId) {
      super(`/jobs/${encodeURIComponent(jobId)}/ticket`, 'connection', 'This job is no longer kept by the daemon.');
      this.jobId = jobId;
      this.lastSeq = 0;
    }

    resumeFrom(params) {
      params.set('after', String(this.lastSeq));
      params.set('batch', 'true');
    }

    // The daemon closes with 1011 when it no longer keeps the job.
    closedForGood(code) {
      return code === 1011;
    }

    onMessage(socket, data) {
      if (socket !== this.socket) {
        return;
      }

      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }

      switch (frame.type) {
        case 'line':
          this.takeLines([frame]);
          break;
        case 'lines':
          this.takeLines(Array.isArray(frame.lines) ? frame.lines : []);
          break;
        case 'progress':
          if (state.job && state.job.status === 'running') {
            const phaseChanged = !state.job.progress || state.job.progress.phase !== frame.phase;
            state.job.progress = frame;
            renderProgress(frame);
            if (phaseChanged) {
              // A new phase may change whether a cancel is still accepted.
              refreshJob();
            }
          }

          break;
        case 'end':
          this.ended = true;
          setText('connection', '');
          refreshJob();
          break;
        case 'shutdown':
          setText('connection', 'The daemon is restarting; the log resumes when it is back.');
          break;
        default:
          break;
      }
    }

    takeLines(lines) {
      const fresh = [];
      for (const line of lines) {
        if (line.seq <= this.lastSeq) {
          continue;
        }

        if (line.seq !== this.lastSeq + 1) {
          // A gap: show what came before it, then resume from the last line shown.
          this.resume();
          break;
        }

        this.lastSeq = line.seq;
        fresh.push(line);
      }

      if (fresh.length) {
        appendLines(fresh);
      }
    }

    resume() {
      const socket = this.socket;
      this.socket = null;
      if (socket) {
        socket.close();
      }

      this.retry();
    }
  }

  function stopFollowing() {
    if (state.stream) {
      state.stream.close();
      state.stream = null;
    }

    state.jobId = null;
    state.job = null;
  }

  // ---- starting and cancelling ------------------------------------------------------------

  async function startJob(dryRun) {
    setText('action-error', '');
    try {
      const accepted = await api('POST', '/upgrade', { dryRun });
      if (pinnedJobId()) {
        history.replaceState(null, '', location.pathname);
      }

      showJob(accepted.jobId);
      refreshHistory();
      return accepted.jobId;
    } catch (error) {
      setText('action-error', error.message);
      if (error.status === 409 && error.problem && error.problem.jobId) {
        showJob(error.problem.jobId);
      }

      return null;
    }
  }

  async function upgradeClicked() {
    const latest = state.jobs[0];
    // Only a plan of what Upgrade runs: another client's full-upgrade dry run plans something else.
    const fresh = latest && latest.dryRun && isPlainUpgrade(latest) && latest.status === 'succeeded' && latest.plan
      && now() - Date.parse(latest.finishedAt) < PLAN_FRESH_MS;
    if (fresh) {
      if (latest.plan.length === 0) {
        setText('action-error', 'Nothing to upgrade: the last dry run found no changes.');
        return;
      }

      confirmUpgrade(latest);
      return;
    }

    // No recent plan: find out what would change first, then ask.
    const jobId = await startJob(true);
    if (jobId) {
      state.confirmAfter = jobId;
      setText('action-error', 'Checking what an upgrade would change first; you will be asked to confirm.');
    }
  }

  function confirmUpgrade(dryRun) {
    const dialog = $('confirm');
    const count = dryRun.plan.length;
    setText('confirm-title', `Upgrade ${plural(count, 'package', 'packages')}?`);
    setText('confirm-source', `From the dry run of ${formatTime(dryRun.finishedAt)}. Once dpkg starts, the upgrade can no longer be cancelled.`);
    $('confirm-table').tBodies[0].replaceChildren(...dryRun.plan.map((entry) => planRow(entry, true)));
    setText('confirm-yes', `Upgrade ${plural(count, 'package', 'packages')}`);
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-no').focus();
  }

  async function cancelClicked() {
    const job = state.job;
    if (!job) {
      return;
    }

    const button = $('cancel');
    button.disabled = true;
    try {
      const snapshot = await api('POST', `/jobs/${encodeURIComponent(job.jobId)}/cancel`);
      if (state.jobId === snapshot.jobId) {
        renderJob(snapshot);
      }
    } catch (error) {
      setText('action-error', error.message);
      refreshJob();
    } finally {
      button.disabled = false;
    }
  }

  // ---- the fleet (Fleet:Enabled) ----------------------------------------------------------

  const ROLLOUT_STATUS_NAMES = {
    running: 'Running',
    paused: 'Paused',
    completed: 'Completed',
    failed: 'Failed',
    cancelled: 'Cancelled',
  };

  const HOST_STATE_NAMES = {
    pending: 'Pending',
    running: 'Running',
    succeeded: 'Succeeded',
    failed: 'Failed',
    skipped: 'Skipped',
    unreachable: 'Unreachable',
  };

  /** A rollout's host reasons in plain words; a job's own reasons are in REASONS. */
  const HOST_REASONS = {
    busy: 'a job started elsewhere was running on it',
    nodeUnreachable: 'its daemon did not answer',
    nodeLeft: 'its daemon left the fleet',
    maxFailuresExceeded: 'never started: more hosts failed than the rollout allows',
    rebootTimedOut: 'it did not come back from its reboot in time (Fleet:RebootTimeout)',
    rebootFailed: 'it could not be rebooted',
    jobLost: 'it cannot say what became of its job',
    rebootNotAllowed: 'it needs a reboot it does not allow (Host:AllowReboot): reboot it yourself',
    badRequest: 'it refused the request as malformed (a daemon of another version?)',
  };

  const ROLLOUT_REASONS = {
    notReplicated: 'it could not be recorded on a majority of the fleet',
  };

  function hostReason(host) {
    if (!host.reason) {
      return '';
    }

    if (host.reason === 'cancelled' && host.state === 'skipped') {
      return 'never started: the rollout was cancelled';
    }

    return HOST_REASONS[host.reason] || REASONS[host.reason] || host.reason;
  }

  function rolloutKind(rollout) {
    return modeName({ dryRun: rollout.dryRun, mode: rollout.mode, autoremove: rollout.autoremove });
  }

  function rolloutIsFinal(rollout) {
    return rollout.status !== 'running' && rollout.status !== 'paused';
  }

  /** How a rollout proceeds, in words: the same for its confirmation and once it runs. */
  function rolloutPlan(spec) {
    const order = spec.canary > 0
      ? `${plural(spec.canary, 'canary', 'canaries')} alone first, then batches of ${spec.batchSize}`
      : `batches of ${spec.batchSize}`;
    const failures = spec.maxFailures === 0
      ? 'stop at the first failure'
      : `stop once more than ${plural(spec.maxFailures, 'host fails', 'hosts fail')}`;
    const reboot = spec.reboot === 'ifRequired' ? 'reboot hosts that need it and allow it' : 'never reboot';
    return `${order}; ${failures}; ${reboot}.`;
  }

  function badge(status, names) {
    return el('span', `badge ${status}`, names[status] || status);
  }

  /** Whether the daemon serves the fleet's API: GET /fleet/hosts is 404 on a single host. */
  async function detectFleet() {
    try {
      state.fleetHosts = await api('GET', '/fleet/hosts');
    } catch (error) {
      if (error.status === 404) {
        state.fleet = false;
        return;
      }

      if (error.status === 401) {
        // Signed out meanwhile: asked again at the next sign-in.
        return;
      }

      // On, but not answering now (503 while the coordinator starts): shown, and read again.
      state.fleetHosts = [];
      setText('fleet-error', error.message);
    }

    state.fleet = true;
    show('fleet', true);
    renderFleetHosts();
    await refreshRollouts();
    routeRollout();
  }

  async function refreshFleet() {
    state.lastFleetPoll = Date.now();
    try {
      state.fleetHosts = await api('GET', '/fleet/hosts');
      setText('fleet-error', '');
    } catch (error) {
      setText('fleet-error', error.message);
    }

    renderFleetHosts();
    await refreshRollouts();
    routeRollout();
  }

  function renderFleetHosts() {
    const rows = state.fleetHosts.map((host) => {
      const summary = host.summary;
      const row = el('tr');
      const name = el('th', '', host.name || host.address);
      name.scope = 'row';
      let updates = 'unknown';
      if (summary && typeof summary.pendingUpdates === 'number') {
        updates = summary.pendingSecurityUpdates > 0
          ? `${summary.pendingUpdates} (${summary.pendingSecurityUpdates} security)`
          : String(summary.pendingUpdates);
      }

      let reboot = 'unknown';
      if (summary && typeof summary.rebootRequired === 'boolean') {
        reboot = summary.rebootRequired ? 'Yes' : 'No';
      }

      let reachable = 'No';
      if (host.reachable) {
        reachable = host.status === 'up' ? 'Yes' : `Yes (${host.status})`;
      }

      row.append(
        name,
        el('td', '', reachable),
        el('td', '', updates),
        el('td', '', reboot),
        el('td', '', summary && summary.lastSuccess ? formatTime(summary.lastSuccess) : (summary ? 'never' : 'unknown')),
      );
      return row;
    });
    $('fleet-hosts').tBodies[0].replaceChildren(...rows);
    renderHostChoices();
  }

  /** One checkbox per named host, keeping what was ticked across refreshes. */
  function renderHostChoices() {
    const box = $('rollout-host-choices');
    const ticked = new Set(Array.from(box.querySelectorAll('input:checked'), (input) => input.value));
    const names = state.fleetHosts.map((host) => host.name).filter(Boolean);
    const current = Array.from(box.querySelectorAll('input'), (input) => input.value);
    if (current.join('\n') === names.join('\n')) {
      return;
    }

    box.replaceChildren(...names.map((name) => {
      const label = el('label', 'choice');
      const input = el('input');
      input.type = 'checkbox';
      input.name = 'rollout-host';
      input.value = name;
      input.checked = ticked.has(name);
      input.addEventListener('change', () => {
        $('rollout-chosen').checked = true;
      });
      label.append(input, document.createTextNode(` ${name}`));
      return label;
    }));
  }

  async function refreshRollouts() {
    try {
      state.rollouts = await api('GET', '/fleet/rollouts');
    } catch {
      // The coordinator may be moving or starting: the list is read again at the next poll.
      return;
    }

    renderRollouts();
  }

  function renderRollouts() {
    const rows = state.rollouts.map((rollout) => {
      const row = el('tr', rollout.rolloutId === state.rolloutId ? 'current' : '');
      const status = el('td');
      status.append(badge(rollout.status, ROLLOUT_STATUS_NAMES));
      const succeeded = rollout.hosts.filter((host) => host.state === 'succeeded').length;
      const button = el('button', 'quiet', 'Show');
      button.type = 'button';
      button.setAttribute('aria-label', `Show the ${rolloutKind(rollout).toLowerCase()} rollout of ${formatTime(rollout.createdAt)}`);
      button.addEventListener('click', () => {
        state.rolloutChosen = true;
        showRollout(rollout.rolloutId);
      });
      const cell = el('td');
      cell.append(button);
      row.append(
        el('td', '', formatTime(rollout.createdAt)),
        el('td', '', rolloutKind(rollout)),
        status,
        el('td', '', `${succeeded} of ${plural(rollout.hosts.length, 'host', 'hosts')} succeeded`),
        cell,
      );
      return row;
    });
    $('rollouts').tBodies[0].replaceChildren(...rows);
    show('rollouts-empty', state.rollouts.length === 0);
  }

  /** The rollout the user chose, else one that runs (wherever it was started), else the newest. */
  function routeRollout() {
    const active = state.rollouts.find((rollout) => !rolloutIsFinal(rollout));
    if (state.rolloutChosen && state.rolloutId) {
      return;
    }

    const target = (active || state.rollouts[0] || {}).rolloutId;
    if (target && target !== state.rolloutId) {
      showRollout(target);
    }
  }

  function showRollout(rolloutId) {
    if (rolloutId === state.rolloutId) {
      return;
    }

    stopFollowingRollout();
    state.rolloutId = rolloutId;
    $('fleet-log').replaceChildren();
    state.fleetDropped = 0;
    show('fleet-follow', false);
    setText('fleet-connection', '');
    setText('rollout-action-error', '');
    show('rollout', true);
    renderRollouts();
    refreshRollout().then(() => {
      if (state.rolloutId === rolloutId) {
        state.fleetStream = new FleetLogStream(rolloutId);
        state.fleetStream.connect();
      }
    });
  }

  function stopFollowingRollout() {
    if (state.fleetStream) {
      state.fleetStream.close();
      state.fleetStream = null;
    }

    state.rolloutId = null;
    state.rollout = null;
  }

  async function refreshRollout() {
    const rolloutId = state.rolloutId;
    if (!rolloutId) {
      return;
    }

    state.lastRolloutPoll = Date.now();
    try {
      const rollout = await api('GET', `/fleet/rollouts/${encodeURIComponent(rolloutId)}`);
      if (state.rolloutId === rolloutId) {
        renderRollout(rollout);
      }
    } catch (error) {
      if (state.rolloutId === rolloutId) {
        setText('fleet-connection', error.status === 404 ? 'This rollout is no longer kept by the fleet.' : error.message);
      }
    }
  }

  function renderRollout(rollout) {
    const listed = state.rollouts.find((entry) => entry.rolloutId === rollout.rolloutId);
    state.rollout = rollout;
    setText('rollout-title', `${rolloutKind(rollout)} rollout · ${formatTime(rollout.createdAt)}`);
    const status = $('rollout-status');
    status.className = `badge ${rollout.status}`;
    status.textContent = ROLLOUT_STATUS_NAMES[rollout.status] || rollout.status;
    const why = rollout.reason ? ` Stopped: ${ROLLOUT_REASONS[rollout.reason] || rollout.reason}.` : '';
    const failures = rollout.failures > 0 ? ` ${plural(rollout.failures, 'host', 'hosts')} failed so far.` : '';
    setText('rollout-summary', `${plural(rollout.hosts.length, 'host', 'hosts')}: ${rolloutPlan(rollout)}${failures}${why}`);
    show('rollout-pause', rollout.status === 'running');
    show('rollout-resume', rollout.status === 'paused');
    show('rollout-cancel', !rolloutIsFinal(rollout));

    const rows = rollout.hosts.map((host) => {
      const row = el('tr');
      const name = el('th', '', host.host);
      name.scope = 'row';
      const stateCell = el('td');
      stateCell.append(badge(host.state, HOST_STATE_NAMES));
      const details = [
        host.step === 'rebooting' ? 'rebooting' : '',
        host.step === 'rejoining' ? 'waiting for its daemon to come back' : '',
        hostReason(host),
        host.message || '',
        host.rebootRequired ? 'reboot required' : '',
        host.jobId ? `job ${host.jobId}` : '',
      ].filter(Boolean);
      row.append(
        name,
        el('td', '', host.group === 0 && rollout.canary > 0 ? 'canary' : `batch ${rollout.canary > 0 ? host.group : host.group + 1}`),
        stateCell,
        el('td', 'details', details.join(' · ')),
      );
      return row;
    });
    $('rollout-hosts').tBodies[0].replaceChildren(...rows);
    if (!listed || listed.status !== rollout.status) {
      // The list lags behind (it started or ended since); an end also changes the hosts' summaries.
      if (listed && rolloutIsFinal(rollout)) {
        refreshFleet();
      } else {
        refreshRollouts();
      }
    }
  }

  function startRolloutClicked(event) {
    event.preventDefault();
    setText('rollout-error', '');
    const spec = rolloutForm();
    if (typeof spec === 'string') {
      setText('rollout-error', spec);
      return;
    }

    const count = spec.hosts === 'all' ? state.fleetHosts.filter((host) => host.name).length : spec.hosts.length;
    const what = spec.dryRun ? 'Dry run' : (spec.mode === 'full-upgrade' ? 'Full upgrade' : 'Upgrade');
    setText('rollout-confirm-title', `${what}${spec.autoremove ? ' with autoremove' : ''} on ${spec.hosts === 'all' ? `every host (${count} now)` : plural(count, 'host', 'hosts')}?`);
    setText('rollout-confirm-hosts', spec.hosts === 'all' ? 'Every host of the fleet, in order of name.' : `In this order: ${spec.hosts.join(', ')}.`);
    setText('rollout-confirm-plan', `${rolloutPlan(spec)}${spec.dryRun ? ' Nothing is installed.' : ' Once dpkg starts on a host, that host can no longer be cancelled.'}`);
    setText('rollout-confirm-yes', spec.dryRun ? 'Start the dry run' : 'Start the upgrade');
    const dialog = $('rollout-confirm');
    state.pendingRollout = spec;
    dialog.returnValue = '';
    dialog.showModal();
    $('rollout-confirm-no').focus();
  }

  /** The form as a POST /fleet/rollouts body, or what is wrong with it. */
  function rolloutForm() {
    const number = (id, min, name) => {
      const value = Number($(id).value);
      return Number.isInteger(value) && value >= min && value <= 500 ? value : `${name} is a whole number from ${min} to 500.`;
    };
    const canary = number('rollout-canary', 0, 'Canary hosts');
    const batchSize = number('rollout-batch-size', 1, 'Batch size');
    const maxFailures = number('rollout-max-failures', 0, 'Failures allowed');
    const problem = [canary, batchSize, maxFailures].find((value) => typeof value === 'string');
    if (problem) {
      return problem;
    }

    let hosts = 'all';
    if ($('rollout-chosen').checked) {
      hosts = Array.from($('rollout-host-choices').querySelectorAll('input:checked'), (input) => input.value);
      if (hosts.length === 0) {
        return 'Tick at least one host, or choose all hosts.';
      }
    }

    return {
      dryRun: $('rollout-dry-run').checked,
      hosts,
      mode: $('rollout-mode').value,
      autoremove: $('rollout-autoremove').checked,
      canary,
      batchSize,
      maxFailures,
      reboot: $('rollout-reboot').value,
    };
  }

  async function startRollout(spec) {
    const button = $('rollout-start');
    button.disabled = true;
    try {
      const accepted = await api('POST', '/fleet/rollouts', spec);
      state.rolloutChosen = true;
      await refreshRollouts();
      showRollout(accepted.rolloutId);
      $('rollout').scrollIntoView({ block: 'start' });
    } catch (error) {
      setText('rollout-error', error.message);
      if (error.status === 409 && error.problem && error.problem.rolloutId) {
        state.rolloutChosen = true;
        showRollout(error.problem.rolloutId);
      }
    } finally {
      button.disabled = false;
    }
  }

  async function steerRollout(command) {
    const rollout = state.rollout;
    if (!rollout) {
      return;
    }

    setText('rollout-action-error', '');
    try {
      const view = await api('POST', `/fleet/rollouts/${encodeURIComponent(rollout.rolloutId)}/${command}`);
      if (state.rolloutId === view.rolloutId) {
        renderRollout(view);
      }
    } catch (error) {
      setText('rollout-action-error', error.message);
      refreshRollout();
    }
  }

  function appendFleetLines(nodes) {
    const log = $('fleet-log');
    const follow = atBottom(log);
    log.append(...nodes);
    let excess = log.childElementCount - MAX_LOG_LINES - (state.fleetDropped ? 1 : 0);
    if (excess > 0) {
      let marker = log.firstElementChild;
      if (!state.fleetDropped) {
        marker = el('div', 'dropped');
        log.prepend(marker);
      }

      while (excess-- > 0 && marker.nextElementSibling) {
        marker.nextElementSibling.remove();
        state.fleetDropped++;
      }

      marker.textContent = `${plural(state.fleetDropped, 'earlier line', 'earlier lines')} not shown here; each host keeps its whole log.`;
    }

    if (follow) {
      log.scrollTop = log.scrollHeight;
    }

    show('fleet-follow', !atBottom(log));
  }

  /** A line of the merged log: its host, tagged (as pins prints it: "host | text"), then the text. */
  function hostLine(host, text, className) {
    const line = el('div', className);
    line.append(el('span', 'tag', host), document.createTextNode(text));
    return line;
  }

  /**
   * A rollout's merged log over the WebSocket, with a fresh single-use ticket for every
   * connection. Each host's lines carry that host's own seq: after a drop it reconnects with
   * ?after=host:seq,... so every line is shown once, and a repeat is skipped.
   */
  class FleetLogStream extends TicketedStream {
    constructor(rolloutId) {
      super(`/fleet/rollouts/${encodeURIComponent(rolloutId)}/ticket`, 'fleet-connection', 'This rollout is no longer kept by the fleet.');
      this.rolloutId = rolloutId;
      this.lastSeq = new Map();
    }

    resumeFrom(params) {
      if (this.lastSeq.size > 0) {
        params.set('after', Array.from(this.lastSeq, ([host, seq]) => `${host}:${seq}`).join(','));
      }
    }

    onMessage(socket, data) {
      if (socket !== this.socket) {
        return;
      }

      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }

      switch (frame.type) {
        case 'line': {
          const last = this.lastSeq.get(frame.host) || 0;
          if (typeof frame.seq === 'number' && frame.seq > last) {
            this.lastSeq.set(frame.host, frame.seq);
            appendFleetLines([hostLine(frame.host, ` | ${frame.text}`, frame.stream === 'stderr' ? 'stderr' : '')]);
          }

          break;
        }

        case 'end':
          appendFleetLines([hostLine(frame.host, `: job ${(STATUS_NAMES[frame.status] || frame.status).toLowerCase()}.${frame.message ? ` ${frame.message}` : ''}`, 'note')]);
          refreshRollout();
          break;
        case 'rolloutEnd':
          this.ended = true;
          setText('fleet-connection', '');
          appendFleetLines([el('div', 'note', `Rollout ${(ROLLOUT_STATUS_NAMES[frame.status] || frame.status).toLowerCase()}.`)]);
          refreshRollout();
          break;
        case 'shutdown':
          setText('fleet-connection', 'The daemon is restarting; the merged log resumes when it is back.');
          break;
        default:
          break;
      }
    }
  }

  // ---- start ------------------------------------------------------------------------------

  function wire() {
    $('host').textContent = location.host;
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('dry-run').addEventListener('click', () => startJob(true));
    $('upgrade').addEventListener('click', upgradeClicked);
    $('cancel').addEventListener('click', cancelClicked);
    $('confirm').addEventListener('close', () => {
      if ($('confirm').returnValue === 'yes') {
        startJob(false);
      }
    });
    const log = $('log');
    log.addEventListener('scroll', () => show('follow', !atBottom(log)));
    $('follow').addEventListener('click', () => {
      log.scrollTop = log.scrollHeight;
      show('follow', false);
      log.focus();
    });
    $('reboot').addEventListener('click', rebootClicked);
    $('reboot-cancel').addEventListener('click', () => changeReboot('DELETE'));
    $('reboot-confirm').addEventListener('close', () => {
      if ($('reboot-confirm').returnValue === 'yes') {
        changeReboot('POST');
      }
    });
    $('rollout-form').addEventListener('submit', startRolloutClicked);
    $('rollout-confirm').addEventListener('close', () => {
      const spec = state.pendingRollout;
      state.pendingRollout = null;
      if (spec && $('rollout-confirm').returnValue === 'yes') {
        startRollout(spec);
      }
    });
    $('rollout-pause').addEventListener('click', () => steerRollout('pause'));
    $('rollout-resume').addEventListener('click', () => steerRollout('resume'));
    $('rollout-cancel').addEventListener('click', () => steerRollout('cancel'));
    const fleetLog = $('fleet-log');
    fleetLog.addEventListener('scroll', () => show('fleet-follow', !atBottom(fleetLog)));
    $('fleet-follow').addEventListener('click', () => {
      fleetLog.scrollTop = fleetLog.scrollHeight;
      show('fleet-follow', false);
      fleetLog.focus();
    });
    window.addEventListener('hashchange', () => {
      if (state.signedIn) {
        route();
      }
    });
  }

  async function start() {
    wire();
    try {
      const session = await api('GET', '/session', undefined, { signInRequest: true });
      enterApp(session.csrfToken);
    } catch (error) {
      showSignIn(error.status === 401 ? '' : error.message);
    }
  }

  start();
})();
