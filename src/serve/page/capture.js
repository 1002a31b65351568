// The capture page of `liveness serve` (docs/capture.md): plain JavaScript, no framework, no other origin.
// It talks to the server's own endpoints with the page token of its link (`/#token=...`), never the API token.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  const PROMPTS = {
    neutral: 'Look straight at the camera',
    head_left: 'Turn your head to your left, then back',
    head_right: 'Turn your head to your right, then back',
    blink: 'Blink',
    smile: 'Smile',
  };
  const STEP_NAMES = { head_left: 'Turn your head left', head_right: 'Turn your head right', blink: 'Blink', smile: 'Smile' };
  // Capture faults (the score files' non-response reasons) as advice to the person in front of the camera.
  const REASONS = {
    no_face: 'No face found. Put your face inside the oval.',
    face_too_small: 'Too far away. Move closer to the camera.',
    too_dark: 'Too dark. Add light in front of you.',
    too_bright: 'Too bright. Move away from the light.',
    overexposed: 'Overexposed. Avoid light shining into the camera.',
    too_blurry: 'Blurry. Hold still, and clean the lens.',
    multiple_faces: 'Several faces in view. Only one person, please.',
    face_at_border: 'Your face touches the edge of the picture. Move to the centre.',
    crop_failed: 'Your face is cut off. Move to the centre.',
    no_face_landmarks: 'Your face is not clear enough. Look straight at the camera.',
    too_few_frames: 'Not enough usable frames. Keep your face inside the oval.',
    mixed_frame_sizes: 'The camera changed size during the check. Try again.',
  };
  const QUALITY_EVERY_MS = 1200;

  const state = { token: null, config: null, busy: false, session: null, polling: false };

  // --- the server ---------------------------------------------------------------------------------------

  function readToken() {
    const m = /(?:^#|&)token=([0-9a-f]{16,128})(?:&|$)/.exec(location.hash);
    if (m) {
      state.token = m[1];
      sessionStorage.setItem('liveness-page-token', m[1]);
      // Out of the address bar (and any screenshot of it); kept for a reload of this tab only.
      history.replaceState(null, '', location.pathname + location.search);
    } else {
      state.token = sessionStorage.getItem('liveness-page-token');
    }
  }

  class ConnectionLost extends Error {}

  // fetch with the page token; resolves to {status, body} (the server's JSON), rejects with ConnectionLost.
  async function api(method, path, body, contentType) {
    const headers = {};
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    if (contentType) headers['Content-Type'] = contentType;
    let resp;
    try {
      resp = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new ConnectionLost(String(e));
    }
    let json;
    try {
      json = await resp.json();
    } catch (e) {
      json = { error: { code: 'bad_response', message: 'the server answered HTTP ' + resp.status + ' without JSON' } };
    }
    return { status: resp.status, body: json };
  }

  const errorOf = (r) => (r.body && r.body.error) || { code: 'unknown', message: 'HTTP ' + r.status };

  // --- what the page shows -------------------------------------------------------------------------------

  function say(text) {
    $('message').textContent = text;
  }

  function setBusy(busy) {
    state.busy = busy;
    const camera = Boolean(state.stream);
    $('camera').disabled = busy || camera || !state.config;
    $('passive').disabled = busy || !camera;
    $('active').disabled = busy || !camera;
  }

  function clearResult() {
    $('result').hidden = true;
    $('result').removeAttribute('data-outcome');
    $('result').removeAttribute('data-code');
    $('outcome').textContent = '';
    $('details').replaceChildren();
    $('retry-upload').hidden = true;
    $('collected').textContent = '';
    $('collected').removeAttribute('data-path');
  }

  // outcome: pass | retry | fail | error; code: the server's error code or the page's own.
  // note: said in the status line instead of the outcome (what happened on the way to this result).
  function showResult(outcome, text, code, details, note) {
    const r = $('result');
    r.hidden = false;
    r.dataset.outcome = outcome;
    if (code) r.dataset.code = code;
    else r.removeAttribute('data-code');
    $('outcome').textContent = text;
    const dl = $('details');
    dl.replaceChildren();
    for (const [field, label, value, shown] of details || []) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.field = field;
      dd.dataset.value = String(value);
      dd.textContent = shown === undefined ? String(value) : shown;
      dl.append(dt, dd);
    }
    say(note || text);
    r.focus();
  }

  function showPrompt(text) {
    const p = $('prompt');
    p.textContent = text;
    p.hidden = !text;
  }

  function refused(err) {
    const text =
      err.code === 'token_expired'
        ? 'This capture link has expired. Ask for a new link.'
        : err.code === 'missing_token'
          ? 'This page needs a capture link with a token (it ends with #token=…). Ask the service for a link.'
          : 'This capture link is not valid. Ask for a new link.';
    showResult('error', text, err.code, [['server', 'Server said', err.message]]);
    state.stream = null;
    $('camera').disabled = true;
    $('passive').disabled = true;
    $('active').disabled = true;
  }

  function lost(extra) {
    showResult('error', 'Connection lost: the server could not be reached. ' + (extra || 'Check the connection, then try again.'), 'connection_lost');
  }

  // A request that was refused or failed: a capture fault (422) asks to retry with its reason.
  function showError(r) {
    const err = errorOf(r);
    if (r.status === 401) return refused(err);
    if (r.status === 422) {
      const advice = REASONS[err.code] || err.message;
      return showResult('retry', 'Please try again: ' + advice, err.code, [['reason', 'Reason', err.code]]);
    }
    showResult('error', 'Something went wrong: ' + err.message, err.code, [['reason', 'Code', err.code]]);
  }

  // --- camera and frames ---------------------------------------------------------------------------------

  async function startCamera() {
    clearResult();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return showResult('error', 'The camera needs a secure page: open it over HTTPS (or on localhost).', 'insecure_context');
    }
    setBusy(true);
    say('Asking for the camera…');
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
        audio: false,
      });
    } catch (e) {
      state.stream = null;
      setBusy(false);
      if (e.name === 'NotAllowedError' || e.name === 'SecurityError') {
        return showResult(
          'error',
          'Camera access was denied. Allow the camera for this page (the camera icon in the address bar, or the browser\'s site settings), then press Start camera again.',
          'camera_denied',
        );
      }
      if (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') {
        return showResult('error', 'No camera was found. Connect a camera, then press Start camera again.', 'no_camera');
      }
      return showResult('error', 'The camera could not be started (' + e.name + '). Close other programs using it, then try again.', 'camera_error');
    }
    const video = $('preview');
    video.srcObject = state.stream;
    await video.play().catch(() => {});
    while (!video.videoWidth) await sleep(30);
    setBusy(false);
    say('Camera on. Keep your face inside the oval, then choose a check.');
    $('passive').focus();
    pollQuality();
  }

  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  // One frame of the preview as JPEG, unmirrored (the image as the camera took it).
  function grab() {
    const video = $('preview');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    return new Promise((resolve, reject) => {
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the frame could not be encoded'))), 'image/jpeg', 0.92);
    });
  }

  // Quality feedback before capture, from the server's own gates (POST /v1/quality), while idle.
  async function pollQuality() {
    if (state.polling) return;
    state.polling = true;
    while (state.stream) {
      if (!state.busy) {
        try {
          const r = await api('POST', '/v1/quality', await grab(), 'image/jpeg');
          const q = $('quality');
          if (r.status === 200) {
            q.dataset.ready = String(r.body.ready);
            q.dataset.reason = r.body.reason || '';
            q.textContent = r.body.ready ? 'Ready: one face, well lit, close enough.' : REASONS[r.body.reason] || r.body.reason;
          } else if (r.status === 401) {
            refused(errorOf(r));
          }
        } catch (e) {
          $('quality').textContent = 'No connection to the server.';
        }
      }
      await sleep(QUALITY_EVERY_MS);
    }
    state.polling = false;
  }

  // --- collection mode -----------------------------------------------------------------------------------

  const collecting = () => state.config && state.config.collect && state.config.collect.enabled;

  // The operator must label a capture before taking it.
  function labelled() {
    if (!collecting()) return true;
    const label = $('label').value;
    if (!label) {
      showResult('error', 'Collection mode: choose Bona fide or Attack before capturing.', 'label_missing');
      $('label').focus();
      return false;
    }
    if (label === 'attack' && !$('attack-type').value.trim()) {
      showResult('error', 'Collection mode: name the attack species (print, replay, mask…) before capturing.', 'label_missing');
      $('attack-type').focus();
      return false;
    }
    return true;
  }

  async function collect(mode, challenges, frames) {
    if (!collecting()) return;
    const form = new FormData();
    form.append('label', $('label').value);
    if ($('label').value === 'attack') form.append('attack_type', $('attack-type').value.trim());
    form.append('mode', mode);
    form.append('challenges', challenges.join(','));
    for (const k of ['device', 'lighting', 'subject']) form.append(k, $(k).value.trim());
    for (const f of frames) {
      form.append('frame', f.blob, 'frame.jpg');
      form.append('t', String(f.t));
    }
    const out = $('collected');
    try {
      const r = await api('POST', '/v1/collect', form);
      if (r.status === 201) {
        out.dataset.path = r.body.path;
        out.textContent = 'Saved to the dataset as ' + r.body.path + ' (' + r.body.frames + ' frame' + (r.body.frames === 1 ? '' : 's') + ').';
      } else {
        out.removeAttribute('data-path');
        out.textContent = 'Not saved: ' + errorOf(r).message + ' (' + errorOf(r).code + ')';
      }
    } catch (e) {
      out.textContent = 'Not saved: the connection was lost.';
    }
  }

  // --- passive: one frame ---------------------------------------------------------------------------------

  async function passive() {
    if (!labelled()) return;
    clearResult();
    setBusy(true);
    say('Hold still…');
    const frame = { blob: await grab(), t: 0 };
    say('Checking…');
    try {
      const r = await api('POST', '/v1/liveness', frame.blob, 'image/jpeg');
      if (r.status === 200) showPassive(r.body);
      else showError(r);
      if (r.status === 200 || r.status === 422) await collect('passive', [], [frame]);
    } catch (e) {
      if (!(e instanceof ConnectionLost)) throw e;
      lost();
    } finally {
      setBusy(false);
    }
  }

  function showPassive(j) {
    const scores = state.config.show_scores
      ? [
          ['score', 'Score (0-100)', j.score, j.score.toFixed(1)],
          ['live_probability', 'Live probability', j.live_probability, j.live_probability.toFixed(4)],
          ['threshold', 'Threshold', j.threshold],
        ]
      : [];
    const details = [['band', 'Result', j.band], ...scores, ['policy', 'Policy', j.policy]];
    if (j.band === 'pass') return showResult('pass', 'Passed: a live person is in front of the camera.', null, details);
    if (j.band === 'retry') {
      return showResult('retry', 'Please try again: the check was not sure. Face the camera in even light, inside the oval.', 'retry_band', details);
    }
    showResult('fail', 'Not passed: this does not look like a live person.', null, details);
  }

  // --- active: a session with challenges -------------------------------------------------------------------

  async function active() {
    if (!labelled()) return;
    clearResult();
    setBusy(true);
    const asked = state.config.challenges ? { challenges: state.config.challenges } : {};
    let r;
    try {
      r = await api('POST', '/v1/sessions', JSON.stringify(asked), 'application/json');
    } catch (e) {
      setBusy(false);
      return lost();
    }
    if (r.status !== 201) {
      setBusy(false);
      return showError(r);
    }
    const s = { id: r.body.id, challenges: r.body.challenges, ttl: r.body.expires_in_s, created: Date.now(), frames: [] };
    state.session = s;
    const steps = $('steps');
    steps.replaceChildren(
      ...s.challenges.map((c) => {
        const li = document.createElement('li');
        li.dataset.challenge = c;
        li.textContent = STEP_NAMES[c] || c;
        return li;
      }),
    );
    steps.hidden = false;
    // A steady rate: each frame is due interval_ms after the previous one was due, whatever the encoding
    // took; after a stall (a busy machine, a background tab) the clock restarts rather than catching up
    // with a burst of near-identical frames.
    const f = state.config.frames;
    const t0 = performance.now();
    let due = t0;
    const take = async (n) => {
      for (let i = 0; i < n; i++) {
        await sleep(Math.max(0, due - performance.now()));
        const now = performance.now();
        s.frames.push({ blob: await grab(), t: Math.round(now - t0) / 1000 });
        due = Math.max(due, now - f.interval_ms / 2) + f.interval_ms;
      }
    };
    say('Follow the prompts.');
    showPrompt(PROMPTS.neutral);
    await take(f.neutral);
    const items = [...steps.children];
    for (let i = 0; i < s.challenges.length; i++) {
      items[i].classList.add('current');
      showPrompt(PROMPTS[s.challenges[i]] || s.challenges[i]);
      await take(f.per_challenge);
      items[i].classList.remove('current');
      items[i].classList.add('asked');
    }
    showPrompt('');
    await upload();
  }

  async function upload() {
    const s = state.session;
    setBusy(true);
    $('retry-upload').hidden = true;
    say('Sending ' + s.frames.length + ' frames…');
    const form = new FormData();
    for (const f of s.frames) {
      form.append('frame', f.blob, 'frame.jpg');
      form.append('t', String(f.t));
    }
    let r;
    try {
      r = await api('POST', '/v1/sessions/' + s.id + '/frames', form);
    } catch (e) {
      setBusy(false);
      const left = Math.round(s.ttl - (Date.now() - s.created) / 1000);
      const expiry =
        left > 0
          ? 'Unless they do, this session expires on the server in ' + left + ' s.'
          : 'Unless they did, this session has expired on the server by now.';
      lost('The frames may not have arrived. ' + expiry + ' Press Retry upload, or start a new check.');
      $('retry-upload').hidden = false;
      $('retry-upload').focus();
      return;
    }
    const err = errorOf(r);
    if (r.status === 200) {
      showSession(r.body);
      await collect('active', s.challenges, s.frames);
    } else if (r.status === 409 && err.code === 'session_finished') {
      // The frames arrived before the connection dropped: a session takes its frames once. Show its result.
      await showKept(s, err);
    } else if (r.status === 410) {
      showResult(
        'error',
        'This session expired before its frames arrived (a session lasts ' + Math.round(s.ttl) + ' s). Start a new active check.',
        err.code,
        [['server', 'Server said', err.message]],
      );
    } else {
      showError(r);
      if (r.status === 422) await collect('active', s.challenges, s.frames);
    }
    setBusy(false);
  }

  async function showKept(s, err) {
    let g;
    try {
      g = await api('GET', '/v1/sessions/' + s.id);
    } catch (e) {
      return lost();
    }
    const note = 'This session already has its result (frames are taken once): the server kept it, here it is.';
    if (g.status !== 200) return showResult('error', note + ' It could not be read: ' + errorOf(g).message, err.code);
    showSession(g.body, note, err.code);
    await collect('active', s.challenges, s.frames);
  }

  function showSession(j, note, code) {
    const asked = Array.isArray(j.challenges_asked) ? j.challenges_asked.length : 0;
    const fixed = (v) => (typeof v === 'number' ? v.toFixed(1) : String(v));
    const details = [
      ['challenges_completed', 'Challenges completed', j.challenges_completed, j.challenges_completed + ' of ' + asked],
      ['frames_captured', 'Frames captured', j.frames_captured],
      ['pose_variation_score', 'Pose variation score', j.pose_variation_score, fixed(j.pose_variation_score)],
      ['expression_variation_score', 'Expression variation score', j.expression_variation_score, fixed(j.expression_variation_score)],
    ];
    if (state.config.show_scores) {
      details.push(['liveness_score', 'Liveness score', j.liveness_score, fixed(j.liveness_score)]);
      details.push(['passive_score', 'Passive score', j.passive_score, j.passive_score == null ? 'n/a' : j.passive_score.toFixed(4)]);
    }
    details.push(['session', 'Session', j.id]);
    markSteps(j.verdict && j.verdict.challenges);
    const live = j.decision === 'live';
    const text = live ? 'Passed: the session shows a live person.' : 'Not passed: the session did not show a live person.';
    showResult(live ? 'pass' : 'fail', text, code || null, details, note);
  }

  // Each prompt with what the server found: done, or not seen in the frames.
  function markSteps(verdicts) {
    const items = [...$('steps').children];
    (verdicts || []).forEach((v, i) => {
      const li = items[i];
      if (!li || li.dataset.challenge !== v.challenge) return;
      li.classList.remove('current', 'asked');
      li.classList.add(v.passed ? 'passed' : 'missed');
      li.textContent = (STEP_NAMES[v.challenge] || v.challenge) + (v.passed ? ': done' : ': not seen');
    });
  }

  // --- start ----------------------------------------------------------------------------------------------

  async function init() {
    readToken();
    $('camera').addEventListener('click', startCamera);
    $('passive').addEventListener('click', passive);
    $('active').addEventListener('click', active);
    $('retry-upload').addEventListener('click', upload);
    $('label').addEventListener('change', () => {
      $('attack-type').disabled = $('label').value !== 'attack';
    });
    let r;
    try {
      r = await api('GET', '/v1/capture/config');
    } catch (e) {
      return lost('Reload the page when the connection is back.');
    }
    if (r.status !== 200) return showError(r);
    state.config = r.body;
    if (collecting()) {
      $('collect').hidden = false;
      $('species').replaceChildren(
        ...state.config.collect.species.map((s) => {
          const o = document.createElement('option');
          o.value = s;
          return o;
        }),
      );
    }
    setBusy(false);
    say('Press Start camera to begin.');
    $('camera').focus();
  }

  document.addEventListener('DOMContentLoaded', init);
})();
