#!/usr/bin/env node
/* softphone_drive.cjs: the hands of tests/integration/softphone.sh in the Chromium it
 * started, through puppeteer-core (installed by `contrib/dev/deps.sh test`; NODE_PATH
 * points at it). One process for the whole test, attached to the browser at $SP_WS (its
 * DevTools WebSocket): starting node and puppeteer for every step cost more than the steps.
 *
 * Reads one step per line, its words separated by tabs, and answers each with one line:
 * the exit status (0 done or true, 1 not), a tab, and the step's value as JSON (or the
 * error's message). Steps act on the browser's one page:
 *
 *   open URL                  load URL; window.cspViolations lists what the page's
 *                             Content-Security-Policy refused ("directive blocked-URI")
 *   click SELECTOR            click it as a user would (a real input event)
 *   eval EXPRESSION           the (awaited) value
 *   wait SECONDS EXPRESSION   poll every 100 ms until the value is truthy (status 0), or
 *                             give the last value (status 1) at the limit
 *   screenshot FILE           a PNG of the page
 */
'use strict';

const puppeteer = require('puppeteer-core');
const readline = require('readline');

async function step(page, cmd, args) {
	if (cmd === 'open') {
		await page.goto(args[0], { waitUntil: 'load', timeout: 15000 });
		return [0, null];
	}
	if (cmd === 'click') {
		await page.click(args[0]);
		return [0, null];
	}
	if (cmd === 'eval')
		return [0, await page.evaluate(args[0])];
	if (cmd === 'wait') {
		const until = Date.now() + Number(args[0]) * 1000;
		for (;;) {
			const v = await page.evaluate(args[1]);
			if (v)
				return [0, v];
			if (Date.now() >= until)
				return [1, v];
			await new Promise((r) => setTimeout(r, 100));
		}
	}
	if (cmd === 'screenshot') {
		await page.screenshot({ path: args[0], fullPage: true });
		return [0, null];
	}
	throw new Error('unknown step ' + cmd);
}

async function main() {
	const browser = await puppeteer.connect({ browserWSEndpoint: process.env.SP_WS, defaultViewport: null });
	const pages = await browser.pages();
	const page = pages[0] || await browser.newPage();
	// Every document the page loads records CSP refusals from its first script on.
	await page.evaluateOnNewDocument(() => {
		window.cspViolations = [];
		document.addEventListener('securitypolicyviolation', (e) =>
			window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
	});
	const lines = readline.createInterface({ input: process.stdin });
	for await (const line of lines) {
		const [cmd, ...args] = line.split('\t');
		let rc, v;
		try {
			[rc, v] = await step(page, cmd, args);
		} catch (e) {
			[rc, v] = [1, String(e && e.message ? e.message : e)];
		}
		// JSON escapes every newline and tab: the answer stays one line of two fields.
		process.stdout.write(rc + '\t' + (JSON.stringify(v) ?? 'null') + '\n');
	}
	await browser.disconnect();
}

main().catch((e) => {
	console.error('softphone_drive: ' + (e && e.message ? e.message : e));
	process.exit(1);
});
