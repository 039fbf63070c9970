#!/usr/bin/env node
/* softphone_drive.cjs: one step of tests/integration/softphone.sh in the Chromium it
 * started, through puppeteer-core (installed by `contrib/dev/deps.sh test`; NODE_PATH
 * points at it). Each run attaches to the browser at $SP_WS (its DevTools WebSocket),
 * acts on its one page and detaches, leaving the browser as it is.
 *
 *   open URL                  load URL in the page; window.cspViolations lists what its
 *                             Content-Security-Policy refused ("directive blocked-URI")
 *   click SELECTOR            click it as a user would (a real input event)
 *   eval EXPRESSION           print the (awaited) value as JSON
 *   wait SECONDS EXPRESSION   poll every 100 ms until the value is truthy; print it as
 *                             JSON (exit 0), or the last value (exit 1) at the limit
 *   screenshot FILE           a PNG of the page
 */
'use strict';

const puppeteer = require('puppeteer-core');

async function main(argv) {
	const [cmd, ...args] = argv;
	const browser = await puppeteer.connect({ browserWSEndpoint: process.env.SP_WS, defaultViewport: null });
	let rc = 0;
	try {
		const pages = await browser.pages();
		const page = pages[0] || await browser.newPage();
		if (cmd === 'open') {
			await page.evaluateOnNewDocument(() => {
				window.cspViolations = [];
				document.addEventListener('securitypolicyviolation', (e) =>
					window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
			});
			await page.goto(args[0], { waitUntil: 'load', timeout: 15000 });
		} else if (cmd === 'click') {
			await page.click(args[0]);
		} else if (cmd === 'eval') {
			console.log(JSON.stringify(await page.evaluate(args[0])));
		} else if (cmd === 'wait') {
			const until = Date.now() + Number(args[0]) * 1000;
			let v;
			for (;;) {
				v = await page.evaluate(args[1]);
				if (v || Date.now() >= until)
					break;
				await new Promise((r) => setTimeout(r, 100));
			}
			console.log(JSON.stringify(v));
			rc = v ? 0 : 1;
		} else if (cmd === 'screenshot') {
			await page.screenshot({ path: args[0], fullPage: true });
		} else {
			console.error('usage: softphone_drive.cjs open|click|eval|wait|screenshot ...');
			rc = 2;
		}
	} finally {
		await browser.disconnect();
	}
	return rc;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
	console.error('softphone_drive: ' + (e && e.message ? e.message : e));
	process.exit(1);
});
