/* softphone.js: the reference softphone's logic. It owns one call: it reads the
 * call.ringing payload, or scaidial-ctl originate's answer for a call the user places (URL
 * fragment or paste box), joins the call's LiveKit room with the payload's token when the
 * user answers (or joins), publishes the microphone, plays the other side, sends keypad
 * digits as SipDTMF and leaves on hang-up. livekit-client.umd.js (loaded
 * before this file) provides window.LivekitClient.
 *
 * window.softphone exposes the same actions and a status() snapshot, so that a tenant app
 * embedding the page, or a test driving it, needs no knowledge of the markup. */
'use strict';

(function () {
	const LK = window.LivekitClient;
	const $ = (id) => document.getElementById(id);

	// SipDTMF carries the RFC 4733 event code beside the digit; SIP gateways use the code.
	const DTMF_CODES = {
		'0': 0, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, '6': 6, '7': 7, '8': 8, '9': 9,
		'*': 10, '#': 11, 'A': 12, 'B': 13, 'C': 14, 'D': 15,
	};
	const KEYPAD = '123456789*0#';
	// The band a phone call carries; the loudest bin is looked for only there.
	const BAND_LOW_HZ = 60, BAND_HIGH_HZ = 4000;
	const SILENCE_DB = -90;

	const s = {
		payload: null,
		room: null,
		// idle; ringing (incoming) or ready (outbound); connecting, connected,
		// reconnecting; ended or failed
		phase: 'idle',
		outbound: false,	// a call the user placed (originate), not one that rings
		caller: null,		// the SIP participant (the other side) once seen
		callStatus: '',
		startedAt: 0,
		timer: 0,
		meter: 0,
		muted: false,
		sent: '',
		audioCtx: null,
		analyser: null,
		incoming: { hz: 0, db: -Infinity },
		error: '',
		endReason: '',
	};

	function fail(msg) {
		s.error = msg;
		$('error').textContent = msg;
	}

	function setPhase(phase) {
		s.phase = phase;
		$('state').textContent = phase + (s.endReason ? ' (' + s.endReason + ')' : '');
		const live = phase === 'connected';
		$('answer').disabled = !(phase === 'ringing' || phase === 'ready');
		$('hangup').disabled = !(live || phase === 'connecting' || phase === 'reconnecting');
		$('mute').disabled = !live;
		for (const b of $('keypad').querySelectorAll('button'))
			b.disabled = !live;
	}

	/* The payload as JSON text or as base64url of it (what the #payload= fragment holds). */
	function decodePayload(text) {
		text = text.trim();
		if (!text)
			throw new Error('the payload is empty');
		let json = text;
		if (text[0] !== '{') {
			const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
			let bin;
			try {
				bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
			} catch (e) {
				throw new Error('the payload is neither JSON nor base64url');
			}
			json = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
		}
		let p;
		try {
			p = JSON.parse(json);
		} catch (e) {
			throw new Error('the payload is not valid JSON');
		}
		if (typeof p !== 'object' || p === null || Array.isArray(p))
			throw new Error('the payload is not a JSON object');
		for (const k of ['livekit_url', 'token', 'room']) {
			if (typeof p[k] !== 'string' || p[k] === '')
				throw new Error('the payload has no ' + k);
		}
		if (!/^wss?:\/\//.test(p.livekit_url))
			throw new Error('livekit_url is not a ws:// or wss:// URL');
		return p;
	}

	/* originate's answer has a trunk and no event; call.ringing's body is an event. */
	function isOutbound(p) {
		return p.event === undefined && typeof p.trunk === 'string';
	}

	function load(text) {
		if (s.room)
			throw new Error('a call is already in progress');
		const p = decodePayload(text);
		// A window may take one call after another: nothing of the last one stays.
		Object.assign(s, {
			payload: p, outbound: isOutbound(p), caller: null, callStatus: '', startedAt: 0,
			muted: false, sent: '',
			incoming: { hz: 0, db: -Infinity }, endReason: '',
		});
		fail('');
		$('callstatus').textContent = '-';
		$('timer').textContent = '0:00';
		$('level').textContent = '-';
		$('mute').textContent = 'Mute';
		// Text only: every field came from outside (the caller's number, a display name).
		$('from').textContent = p.from || 'unknown';
		$('to').textContent = p.to || '';
		$('user').textContent = [p.user || p.identity, p.extension && 'ext. ' + p.extension]
			.filter(Boolean).join(', ');
		$('answer').textContent = s.outbound ? 'Join call' : 'Answer';
		$('callstatus-label').textContent = s.outbound ? 'Callee status' : 'Caller status';
		$('paste').hidden = true;
		$('call').hidden = false;
		setPhase(s.outbound ? 'ready' : 'ringing');
	}

	function showCallStatus() {
		const c = s.caller;
		s.callStatus = c ? (c.attributes['sip.callStatus'] || '') : '';
		$('callstatus').textContent = s.callStatus || (c ? '(none)' : 'not in the room');
	}

	/* The other side is the room's SIP participant (scaidial joins it with kind "sip" and
	 * the sip.* attributes LiveKit SIP defines): the caller, or the callee of a placed call. */
	function findCaller() {
		if (!s.room || s.caller)
			return;
		for (const p of s.room.remoteParticipants.values()) {
			if (p.kind === LK.ParticipantKind.SIP || 'sip.callStatus' in p.attributes) {
				s.caller = p;
				break;
			}
		}
		showCallStatus();
	}

	function tick() {
		const sec = Math.floor((Date.now() - s.startedAt) / 1000);
		$('timer').textContent = Math.floor(sec / 60) + ':' + String(sec % 60).padStart(2, '0');
	}

	/* The loudest frequency in the phone band of everything the page hears, so the user
	 * (and whoever debugs a silent call) sees at once whether audio arrives. */
	function measure() {
		const a = s.analyser;
		const bins = new Float32Array(a.frequencyBinCount);
		a.getFloatFrequencyData(bins);
		const hzPerBin = s.audioCtx.sampleRate / a.fftSize;
		const lo = Math.ceil(BAND_LOW_HZ / hzPerBin);
		const hi = Math.min(bins.length - 2, Math.floor(BAND_HIGH_HZ / hzPerBin));
		let k = lo;
		for (let i = lo; i <= hi; i++) {
			if (bins[i] > bins[k])
				k = i;
		}
		// A parabola through the peak and its neighbours (in dB) places the peak between
		// bins: the bins are ~6 Hz wide, a tone's frequency is wanted to ~1 Hz.
		const y0 = bins[k - 1], y1 = bins[k], y2 = bins[k + 1];
		const den = y0 - 2 * y1 + y2;
		const off = den !== 0 && isFinite(den) ? 0.5 * (y0 - y2) / den : 0;
		const db = y1;
		s.incoming = db > SILENCE_DB ? { hz: (k + off) * hzPerBin, db: db } : { hz: 0, db: db };
		$('level').textContent = db > SILENCE_DB ?
			Math.round(s.incoming.hz) + ' Hz peak, ' + Math.round(db) + ' dB' : 'silence';
	}

	function onTrack(track) {
		if (track.kind !== LK.Track.Kind.Audio)
			return;
		$('audio').appendChild(track.attach());
		if (s.audioCtx) {
			const src = s.audioCtx.createMediaStreamSource(new MediaStream([track.mediaStreamTrack]));
			src.connect(s.analyser);
		}
	}

	function end(reason) {
		if (s.phase === 'ended' || s.phase === 'failed')
			return;
		s.endReason = reason;
		clearInterval(s.timer);
		clearInterval(s.meter);
		for (const el of $('audio').querySelectorAll('audio'))
			el.remove();
		if (s.audioCtx)
			s.audioCtx.close();
		s.audioCtx = null;
		s.incoming = { hz: 0, db: -Infinity };
		$('level').textContent = '-';
		const room = s.room;
		s.room = null;
		setPhase(s.error ? 'failed' : 'ended');
		// Ready for the next call, pasted by hand.
		$('payload').value = '';
		$('paste').hidden = false;
		if (room)
			room.disconnect();
	}

	/* Why the server let go of us, in the user's words. scaidial deletes the call's room
	 * when the call ends, so a deleted room means the other side is gone. */
	function leftWhy(reason) {
		const R = LK.DisconnectReason;
		switch (reason) {
		case R.ROOM_DELETED:
		case R.ROOM_CLOSED:
			return 'the call ended';
		case R.PARTICIPANT_REMOVED:
			return 'removed from the call';
		case R.DUPLICATE_IDENTITY:
			return 'answered somewhere else';
		case R.CLIENT_INITIATED:
			return 'left the room';
		default:
			return 'lost the connection';
		}
	}

	async function answer() {
		if (s.phase !== 'ringing' && s.phase !== 'ready')
			throw new Error('nothing to answer');
		setPhase('connecting');
		// Made inside the click, so the browser lets it run (autoplay policy).
		s.audioCtx = new AudioContext();
		s.analyser = s.audioCtx.createAnalyser();
		s.analyser.fftSize = 8192;
		s.analyser.smoothingTimeConstant = 0.5;
		const room = new LK.Room({ adaptiveStream: false, dynacast: false });
		s.room = room;
		room.on(LK.RoomEvent.TrackSubscribed, onTrack)
			.on(LK.RoomEvent.TrackUnsubscribed, (t) => t.detach().forEach((el) => el.remove()))
			.on(LK.RoomEvent.ParticipantConnected, findCaller)
			.on(LK.RoomEvent.ParticipantDisconnected, (p) => {
				if (p === s.caller)
					end(s.outbound ? 'the callee hung up' : 'the caller hung up');
			})
			.on(LK.RoomEvent.ParticipantAttributesChanged, (changed, p) => {
				if (p === s.caller)
					showCallStatus();
			})
			.on(LK.RoomEvent.Reconnecting, () => {
				if (s.phase === 'connected')
					setPhase('reconnecting');
			})
			.on(LK.RoomEvent.Reconnected, () => {
				if (s.phase === 'reconnecting')
					setPhase('connected');
			})
			.on(LK.RoomEvent.Disconnected, (reason) => end(s.endReason || leftWhy(reason)));
		try {
			await room.connect(s.payload.livekit_url, s.payload.token);
			if (s.room !== room)
				return;		// hung up while connecting
			await room.localParticipant.setMicrophoneEnabled(true);
		} catch (e) {
			if (s.room !== room)
				return;		// hung up while connecting: not a failure
			fail('could not answer: ' + (e && e.message ? e.message : e));
			end('failed');
			return;
		}
		if (s.room !== room)
			return;
		findCaller();
		s.startedAt = Date.now();
		s.timer = setInterval(tick, 1000);
		s.meter = setInterval(measure, 250);
		setPhase('connected');
	}

	function hangup() {
		if (s.room)
			end('hung up');
	}

	async function setMuted(muted) {
		if (s.phase !== 'connected')
			throw new Error('not in a call');
		await s.room.localParticipant.setMicrophoneEnabled(!muted);
		s.muted = muted;
		$('mute').textContent = muted ? 'Unmute' : 'Mute';
	}

	async function dtmf(digit) {
		if (s.phase !== 'connected')
			throw new Error('not in a call');
		if (!(digit in DTMF_CODES))
			throw new Error('not a DTMF digit: ' + digit);
		await s.room.localParticipant.publishDtmf(DTMF_CODES[digit], digit);
		s.sent += digit;
	}

	function status() {
		return {
			phase: s.phase,
			direction: s.outbound ? 'outbound' : 'inbound',
			endReason: s.endReason,
			error: s.error,
			from: s.payload ? s.payload.from || '' : '',
			to: s.payload ? s.payload.to || '' : '',
			callStatus: s.callStatus,
			callerIdentity: s.caller ? s.caller.identity : '',
			seconds: s.startedAt ? Math.floor((Date.now() - s.startedAt) / 1000) : 0,
			timerText: $('timer').textContent,
			muted: s.muted,
			sent: s.sent,
			incoming: { hz: s.incoming.hz, db: s.incoming.db },
		};
	}

	function report(p) {
		p.catch((e) => fail(e && e.message ? e.message : String(e)));
	}

	for (const d of KEYPAD) {
		const b = document.createElement('button');
		b.type = 'button';
		b.textContent = d;
		b.dataset.digit = d;
		b.disabled = true;
		b.addEventListener('click', () => report(dtmf(d)));
		$('keypad').appendChild(b);
	}
	$('answer').addEventListener('click', () => report(answer()));
	$('hangup').addEventListener('click', hangup);
	$('mute').addEventListener('click', () => report(setMuted(!s.muted)));
	$('paste').addEventListener('submit', (ev) => {
		ev.preventDefault();
		try {
			load($('payload').value);
		} catch (e) {
			fail(e.message);
		}
	});
	document.addEventListener('keydown', (ev) => {
		if (s.phase === 'connected' && ev.key.length === 1 && ev.key.toUpperCase() in DTMF_CODES &&
		    !ev.repeat && !ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.target.tagName !== 'TEXTAREA')
			report(dtmf(ev.key.toUpperCase()));
	});
	window.addEventListener('pagehide', hangup);

	window.softphone = { load, answer, hangup, setMuted, dtmf, status };

	if (!LK) {
		fail('livekit-client.umd.js did not load (see README.md: fetch-livekit-client.sh)');
		$('load').disabled = true;
		return;
	}
	// The fragment never reaches a server; drop it from the address bar and the history
	// too, since it holds the room token. An app that opens each call in the same named
	// window only changes the fragment: the page stays loaded and gets a hashchange.
	function fromFragment() {
		const m = /^#payload=([A-Za-z0-9_=-]+)/.exec(location.hash);
		if (!m)
			return;
		history.replaceState(null, '', location.pathname + location.search);
		try {
			load(m[1]);
		} catch (e) {
			fail(e.message);
		}
	}
	window.addEventListener('hashchange', fromFragment);
	fromFragment();
})();
