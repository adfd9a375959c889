// The portal's journeys in Debian's chromium (headless, playwright-core)
// against the `shebao serve` that tests/web/e2e.sh started. Every page is
// checked with axe-core (no serious or critical violation), for horizontal
// overflow at 360 px, and saved as a screenshot in E2E_OUT. Each journey
// runs in its own browser context; a failing journey is reported and the
// others still run; the browser is closed whatever happens.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../web/package.json'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const url = process.env.E2E_URL;
const person = process.env.E2E_PERSON;
const twin = process.env.E2E_TWIN; // a near-duplicate of another person, queued for review
// The province of the person's employer (digits 3-4 of the credit code): where the contributions are.
const fromProvince = 'CN-' + process.env.E2E_EMPLOYER.slice(2, 4);
const toProvince = fromProvince === 'CN-11' ? 'CN-31' : 'CN-11';
const out = process.env.E2E_OUT;
const declaration = readFileSync(process.env.E2E_DECLARATION, 'utf8');
const axeReport = [];

// A resident ID (GB 11643) with its check character.
function residentId(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectText(page, text, timeout = 10000) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout });
}

// axe-core, 360 px overflow and a screenshot of the page as it is now.
async function check(page, name) {
  await page.waitForFunction(() => !document.body.innerText.includes('正在加载') && !document.body.innerText.includes('Loading…'), null, { timeout: 5000 });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeReport.push({ page: name, violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })) });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(out, name + '.png'), fullPage: true });
  expect(bad.length === 0, `${name}: axe ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
  expect(overflow <= 0, `${name}: wider than 360 px by ${overflow} px`);
}

async function signIn(page, login, password) {
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

// A GET of the API with the page's session token: the figures the page should show.
async function apiGet(page, path) {
  return page.evaluate(async (p) => {
    const token = JSON.parse(sessionStorage.getItem('shebao.session')).token;
    const r = await fetch(p, { headers: { Authorization: 'Bearer ' + token } });
    return r.json();
  }, path);
}

async function go(page, href) {
  await page.click(`nav a[href="${href}"]`);
  await page.waitForURL('**' + href);
}

const journeys = {
  async 'sign-in: keyboard, wrong password, network error, both languages'(page) {
    await page.goto(url + '/');
    await page.waitForURL('**/signin**');
    await expectText(page, '登录');
    await check(page, 'signin-zh');
    // Keyboard only: Tab to the user name, type, Tab, type, Enter.
    for (let i = 0; i < 8 && !(await page.evaluate(() => document.activeElement?.id === 'login')); i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id === 'login'), 'Tab does not reach the user name');
    await page.keyboard.type('person1');
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Enter');
    await expectText(page, '用户名或密码不正确');
    expect((await page.inputValue('#login')) === 'person1', 'the user name is lost after a wrong password');
    await page.click('button:has-text("English")');
    await expectText(page, 'The user name or password is wrong');
    expect((await page.evaluate(() => document.documentElement.lang)) === 'en', 'html lang is not en');
    await check(page, 'signin-error-en');
    await page.route('**/v1/sessions', (route) => route.abort());
    await page.fill('#password', 'person-pass-1');
    await page.click('button[type=submit]');
    await expectText(page, 'The network is not reachable');
    expect((await page.inputValue('#login')) === 'person1', 'the user name is lost after a network error');
    expect((await page.inputValue('#password')) === 'person-pass-1', 'the password is lost after a network error');
    await page.unroute('**/v1/sessions');
    await page.click('button[type=submit]');
    await page.waitForURL('**/me');
  },

  async 'person: home, record, account, retirement and pension, flexible quote, statement'(page) {
    await page.goto(url + '/me');
    await signIn(page, 'person1', 'person-pass-1');
    await page.waitForURL('**/me');
    await expectText(page, '个人账户余额');
    expect((await page.locator('svg[role=img] rect').count()) > 0, 'home: no bars in the chart');
    await check(page, 'person-home-zh');
    await page.click('button:has-text("English")');
    await expectText(page, 'Personal account balance');
    await check(page, 'person-home-en');
    await page.reload();
    await expectText(page, 'Personal account balance'); // the language is remembered
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(out, 'person-home-en-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 760 });

    await go(page, '/me/record');
    await expectText(page, 'Total:');
    expect((await page.locator('table tbody tr').count()) > 0, 'record: no rows');
    expect((await page.locator('.legend li').count()) > 0, 'record: no employer legend');
    await check(page, 'person-record');

    await go(page, '/me/account');
    await expectText(page, 'Balance:');
    await check(page, 'person-account');

    await go(page, '/me/retirement');
    await expectText(page, 'Retirement month:');
    const trace = await page.locator('.trace').first().innerText();
    expect(trace.includes('Step 1') && trace.includes('Rule CN-RET-AGE') && !trace.includes('{'), 'retirement: the trace is not readable text');
    const statutory = await page.locator('#retirement-month').innerText();
    await page.selectOption('#option', 'latest');
    await page.waitForFunction((before) => document.querySelector('#retirement-month')?.textContent !== before, statutory);
    await page.selectOption('#option', 'statutory');
    await page.waitForFunction((before) => document.querySelector('#retirement-month')?.textContent === before, statutory);
    await page.click('button:has-text("Estimate")');
    await page.locator('#pension-total').waitFor();
    expect(/Estimated basic pension: \d+\.\d\d yuan/.test(await page.locator('#pension-total').innerText()), 'pension: no total');
    await check(page, 'person-retirement');

    await go(page, '/me/flexible');
    await page.locator('#flex-total').waitFor();
    await expectText(page, 'Monthly payment: 960.00');
    await page.fill('#flex-ratio', '1');
    await expectText(page, 'Monthly payment: 1600.00');
    await page.fill('#flex-wage', '9000');
    await expectText(page, 'Monthly payment: 1800.00');
    await check(page, 'person-flexible');

    await go(page, '/me/statement');
    await page.selectOption('#statement-lang', 'en');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Download the statement")')]);
    expect(download.suggestedFilename() === `shebao-statement-${person}-en.pdf`, 'statement: unexpected file name ' + download.suggestedFilename());
    const pdfPath = join(out, 'statement-en.pdf');
    await download.saveAs(pdfPath);
    expect(readFileSync(pdfPath).subarray(0, 5).toString() === '%PDF-', 'statement: not a PDF');
    await expectText(page, 'Downloaded shebao-statement-');
    await check(page, 'person-statement');
  },

  async 'person: expired session keeps the transfer form; request and follow a transfer; access log'(page) {
    await page.goto(url + '/me/transfers');
    await signIn(page, 'person1', 'person-pass-1');
    await page.waitForURL('**/me/transfers');
    await expectText(page, '暂无转移申请');
    await page.selectOption('#from', fromProvince);
    await page.selectOption('#to', toProvince);
    // The session ends on the server (as when it expires): the next call answers 401.
    await page.evaluate(async () => {
      const token = JSON.parse(sessionStorage.getItem('shebao.session')).token;
      await fetch('/v1/sessions/current', { method: 'DELETE', headers: { Authorization: 'Bearer ' + token } });
    });
    await page.click('button:has-text("申请转移")');
    await page.waitForURL('**/signin**');
    await expectText(page, '登录已过期');
    await check(page, 'signin-expired-zh');
    expect((await page.inputValue('#login')) === 'person1', 'the user name is lost after expiry');
    await page.fill('#password', 'person-pass-1');
    await page.click('button[type=submit]');
    await page.waitForURL('**/me/transfers');
    expect((await page.inputValue('#from')) === fromProvince, 'the transfer form lost "from"');
    expect((await page.inputValue('#to')) === toProvince, 'the transfer form lost "to"');
    await page.click('button:has-text("申请转移")');
    await expectText(page, '转移申请已提交');
    await page.locator('#transfer-list tbody tr').first().waitFor();
    expect((await page.locator('#transfer-list').innerText()).includes('已申请'), 'transfer status not shown');
    expect((await page.locator('.steps li[aria-current=step]').innerText()) === '已申请', 'transfer: the current step is not "requested"');
    // The sending province computes the transfer (as its back office would); the person follows it.
    const id = (await page.locator('#transfer-list tbody tr td').first().innerText()).trim();
    execFileSync(process.env.E2E_SHEBAO, ['transfer', 'compute', id, '--db', process.env.E2E_DB], { stdio: 'ignore' });
    await page.click('button:has-text("刷新状态")');
    await page.locator('.steps li[aria-current=step]:has-text("已核算")').waitFor();
    await expectText(page, '转移个人账户');
    await check(page, 'person-transfers');

    await go(page, '/me/access');
    await page.locator('#access-list li').first().waitFor();
    expect((await page.locator('#access-list').innerText()).includes('本人自助查询'), 'access log: no self-service entry');
    await check(page, 'person-access');
  },

  async 'employer: declaration with errors, per-line feedback, network error, fix and resubmit; arrears'(page) {
    await page.goto(url + '/');
    await signIn(page, 'employer1', 'employer-pass-1');
    await page.waitForURL('**/employer');
    await expectText(page, '单位：');
    await check(page, 'employer-declaration');
    // One resident ID with a wrong check character.
    const lines = declaration.trimEnd().split('\n');
    const cells = lines[1].split(',');
    const id = cells[2];
    const last = id.slice(-1);
    cells[2] = id.slice(0, -1) + (last === 'X' ? '0' : last === '9' ? 'X' : String(Number(last) + 1));
    const broken = [lines[0], cells.join(','), ...lines.slice(2)].join('\n') + '\n';
    await page.setInputFiles('#decl-file', { name: 'declaration.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
    await page.waitForFunction(() => document.querySelector('#decl-text').value.length > 0);
    await page.click('button:has-text("提交申报")');
    await page.locator('#feedback').waitFor();
    await expectText(page, '退回 1 行');
    await expectText(page, '第 2 行');
    await expectText(page, '身份号码校验位错误');
    await check(page, 'employer-feedback-zh');
    await page.click('button:has-text("English")');
    await expectText(page, '1 rejected');
    // A network error keeps the text.
    await page.route('**/declarations', (route) => route.abort());
    await page.fill('#decl-text', declaration);
    await page.click('button:has-text("Submit declaration")');
    await expectText(page, 'The network is not reachable');
    expect((await page.inputValue('#decl-text')) === declaration, 'the declaration text is lost after a network error');
    await page.unroute('**/declarations');
    await page.click('button:has-text("Submit declaration")');
    await expectText(page, 'Every line was accepted');
    await check(page, 'employer-resubmitted-en');
    await page.reload(); // the last upload's feedback is read back from the API
    await expectText(page, 'Every line was accepted');
    // Arrears: the page shows the API's figures (a table with a total line, or "No arrears").
    const arrears = await apiGet(page, `/v1/employers/${process.env.E2E_EMPLOYER}/arrears`);
    await go(page, '/employer/arrears');
    await page.locator('#arrears').waitFor();
    await expectText(page, 'Arrears in total');
    expect((await page.locator('#arrears-total').innerText()) === arrears.arrears, 'arrears: total differs from the API');
    expect((await page.locator('#arrears-latefees').innerText()) === arrears.late_fees, 'arrears: late fees differ from the API');
    if (arrears.months.length) {
      expect((await page.locator('#arrears tbody tr').count()) === arrears.months.length, 'arrears: not one row per unpaid month');
      expect((await page.locator('#arrears tfoot').innerText()).includes(arrears.arrears), 'arrears: no total line');
    } else {
      await expectText(page, 'No arrears');
    }
    await check(page, 'employer-arrears-en');
    await page.click('button:has-text("中文")');
    await expectText(page, '欠费合计');
    await check(page, 'employer-arrears-zh');
  },

  async 'officer: find by resident ID, act for the person at the counter (audited), register, coverage dashboard'(page) {
    await page.goto(url + '/');
    await signIn(page, 'officer1', 'officer-pass-1');
    await page.waitForURL('**/officer');
    await check(page, 'officer-find');
    await page.fill('#find-id', person);
    await page.fill('#find-purpose', '窗口代办 e2e');
    await page.click('button:has-text("查找")');
    await page.locator('#found').waitFor();
    await check(page, 'officer-found');
    await page.click('button:has-text("代为办理")');
    await page.waitForURL('**/me');
    await expectText(page, '正在为');
    await expectText(page, '个人账户余额');
    await check(page, 'officer-acting-home');
    await go(page, '/me/access');
    await page.locator('#access-list li').first().waitFor();
    const log = await page.locator('#access-list').innerText();
    expect(log.includes('officer1') && log.includes('窗口协助办理: 窗口代办 e2e'), 'access log: the assisted service is not recorded with its purpose');
    await check(page, 'officer-acting-access');
    await page.click('button:has-text("结束代办")');
    await page.waitForURL('**/officer');
    await page.fill('#find-id', '110101199003070000');
    await page.click('button:has-text("查找")');
    await expectText(page, '输入有误');
    // A self-employed person registered at the counter as a flexible worker with the base chosen.
    await go(page, '/officer/register');
    const newcomer = residentId(person.slice(0, 6) + '19900101' + '35' + '7');
    await page.fill('#reg-id', newcomer);
    await page.fill('#reg-name', '李小梅');
    await page.fill('#reg-pinyin', 'Li Xiaomei');
    await page.fill('#reg-hukou', person.slice(0, 6));
    await page.selectOption('#reg-category', 'female_55');
    await expectText(page, '每月缴费：960.00');
    await page.fill('#flex-ratio', '1');
    await expectText(page, '每月缴费：1600.00');
    await check(page, 'officer-register');
    await page.click('button:has-text("登记")');
    await expectText(page, '已登记：李小梅');
    await go(page, '/officer');
    await page.fill('#find-id', newcomer);
    await page.click('button:has-text("查找")');
    await expectText(page, '李小梅（Li Xiaomei）');
    // The coverage dashboard: the officer's province only, figures as the API gives them.
    const report = await apiGet(page, '/v1/reports/coverage');
    expect(report.region === person.slice(0, 2) + '0000', 'coverage: the report is not the officer\'s region');
    await go(page, '/officer/coverage');
    await page.locator('#coverage').waitFor();
    expect((await page.locator('#coverage-population').innerText()) === String(report.population), 'coverage: population differs from the API');
    expect((await page.locator('#coverage-covered').innerText()) === String(report.covered), 'coverage: covered differs from the API');
    expect((await page.locator('#coverage-groups svg rect').count()) > 0, 'coverage: no bars by group');
    expect((await page.locator('#coverage-provinces svg rect').count()) === 2 * report.provinces.length, 'coverage: not one bar per province');
    expect((await page.locator('#coverage-trend polyline').count()) === 1, 'coverage: no trend line');
    expect((await page.locator('#coverage-reasons tbody tr').count()) === 4, 'coverage: not four reasons');
    expect((await page.locator('#coverage-reasons').innerText()).includes(String(report.reasons.lapsed)), 'coverage: lapsed count missing');
    await expectText(page, '按人群的覆盖率');
    await check(page, 'officer-coverage-zh');
    await page.click('button:has-text("English")');
    await expectText(page, 'Coverage by group');
    await expectText(page, 'Contributions lapsed');
    await check(page, 'officer-coverage-en');
    // Another window: the figures are computed again for it.
    await page.selectOption('#cov-window', '12');
    await page.click('button:has-text("Show")');
    await expectText(page, 'in the last 12 months');
    // A server started without an extract: the page says so.
    await page.route('**/v1/reports/coverage**', (route) =>
      route.fulfill({ status: 404, contentType: 'application/problem+json', body: JSON.stringify({ status: 404, code: 'not_found', title: 'not_found', detail: 'the server was started without a population extract (shebao serve --population FILE)' }) }),
    );
    await go(page, '/officer');
    await go(page, '/officer/coverage');
    await page.locator('#coverage-none').waitFor();
    await expectText(page, 'without a population extract');
    await check(page, 'officer-coverage-none-en');
    await page.unroute('**/v1/reports/coverage**');
    await page.click('button:has-text("中文")');
    await expectText(page, '参保覆盖情况');
    // Signing out at the counter leaves nothing typed behind.
    await page.click('button:has-text("退出")');
    await page.waitForURL('**/signin**');
    await page.locator('#login').waitFor();
    expect((await page.inputValue('#login')) === '', 'sign-out kept the user name');
    await page.goto(url + '/officer');
    await page.waitForURL('**/signin**');
  },

  async 'officer: review queue, a pair side by side, merge and undo, dismiss, both languages'(page) {
    await page.goto(url + '/');
    await signIn(page, 'officer1', 'officer-pass-1');
    await page.waitForURL('**/officer');
    await go(page, '/officer/review');
    await page.locator('#review-queue').waitFor();
    await check(page, 'officer-review-queue-zh');
    // The near-duplicate e2e.sh registered, found by `shebao dedup --db`.
    const queue = await apiGet(page, '/v1/review/pairs');
    const pair = queue.pairs.find((p) => p.person_a === twin || p.person_b === twin);
    expect(pair, 'review: the near-duplicate pair is not in the officer\'s queue');
    await page.click(`a[href="/officer/review?pair=${pair.pair_id}"]`);
    await page.locator('#review-compare').waitFor();
    const compare = await page.locator('#review-compare').innerText();
    expect(compare.includes('一致') && compare.includes('相近'), 'review: the agreeing and similar fields are not marked');
    expect(compare.includes(pair.person_a) && compare.includes(pair.person_b), 'review: the two resident IDs are not side by side');
    await check(page, 'officer-review-pair-zh');
    // Merge, keeping record 2: record 1 is shown as merged into it.
    await page.check(`input[name=survivor][value="${pair.person_b}"]`);
    await page.fill('#review-reason', '同一人，身份号码录入错误');
    await page.click('button:has-text("合并")');
    await page.locator('#review-done').waitFor();
    await expectText(page, '已合并');
    await expectText(page, '已并入 ' + pair.person_b);
    const merged = await apiGet(page, '/v1/persons/' + pair.person_a);
    expect(merged.merged_into === pair.person_b, 'review: the absorbed record does not point to the survivor');
    await check(page, 'officer-review-merged-zh');
    await page.fill('#review-reason', '核实后不是同一人');
    await page.click('button:has-text("撤销合并")');
    await expectText(page, '已撤销');
    expect((await apiGet(page, '/v1/persons/' + pair.person_a)).merged_into === null, 'review: the undo did not separate the records');
    // In English: dismiss the pair.
    await page.click('button:has-text("English")');
    await expectText(page, 'Not the same person');
    await page.fill('#review-reason', 'different people, same name');
    await page.click('button:has-text("Not the same person")');
    await expectText(page, 'Dismissed: the two records are different persons.');
    await check(page, 'officer-review-dismissed-en');
    await page.click('button:has-text("Back to the review queue")');
    await page.locator('#review-status').waitFor();
    await page.selectOption('#review-status', 'dismissed');
    await page.locator(`a[href="/officer/review?pair=${pair.pair_id}"]`).waitFor();
    await check(page, 'officer-review-queue-dismissed-en');
  },

  async 'officer: search by pinyin and by characters; a person registers as a flexible worker'(page) {
    await page.goto(url + '/');
    await signIn(page, 'officer1', 'officer-pass-1');
    await page.waitForURL('**/officer');
    // A person without an employer, registered at the counter, who then signs in.
    const region = person.slice(0, 6);
    const newcomer = residentId(region + '19920202' + '46' + '1');
    const status = await page.evaluate(
      async ([id, hukou]) => {
        const token = JSON.parse(sessionStorage.getItem('shebao.session')).token;
        const r = await fetch('/v1/persons', {
          method: 'POST',
          headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
          body: JSON.stringify({ resident_id: id, name: '欧阳晓燕', name_pinyin: 'Ouyang Xiaoyan', hukou_region: hukou, retirement_category: 'female_55', scheme: 'employee' }),
        });
        return r.status;
      },
      [newcomer, region],
    );
    expect(status === 201, 'registering the person to search for: ' + status);
    // Pinyin with tones, given name first; one box for ID, characters and pinyin.
    await page.fill('#find-id', 'Xiǎoyàn Ōuyáng');
    await page.click('button:has-text("查找")');
    await page.locator('#found li').first().waitFor();
    expect((await page.locator('#found').innerText()).includes('欧阳晓燕（Ouyang Xiaoyan）'), 'search by pinyin: the person is not listed');
    await check(page, 'officer-search-pinyin');
    // Characters, traditional, only the beginning of the name; by keyboard (Enter in the box).
    await page.fill('#find-id', '歐陽曉');
    await page.focus('#find-id');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#found')?.textContent.includes('欧阳晓燕'));
    expect((await page.locator('#found li').count()) >= 1, 'search by characters: no list');
    await page.click('button:has-text("English")');
    await expectText(page, 'Act for this person');
    await check(page, 'officer-search-name-en');
    await page.click('button:has-text("中文")');
    // Open the person from the list: the assisted-service pages for them.
    await page.click(`#found li:has-text("${newcomer}") button`);
    await page.waitForURL('**/me');
    await expectText(page, '欧阳晓燕');
    await page.click('button:has-text("结束代办")');
    await page.waitForURL('**/officer');
    await page.click('button:has-text("退出")');
    await page.waitForURL('**/signin**');

    // The person registers themselves as a flexible worker with the base chosen.
    execFileSync(process.env.E2E_SHEBAO, ['user', 'add', '--role', 'person', '--login', 'person2', '--person', newcomer, '--db', process.env.E2E_DB], {
      input: 'person-pass-2\n',
    });
    await signIn(page, 'person2', 'person-pass-2');
    await page.waitForURL('**/me');
    await go(page, '/me/flexible');
    await page.locator('#flex-region').waitFor();
    await expectText(page, '每月缴费：960.00');
    await page.fill('#flex-ratio', '0.8');
    await expectText(page, '每月缴费：1280.00');
    await page.fill('#flex-region', '440300');
    await expectText(page, '按 80% 基数登记为灵活就业人员');
    await check(page, 'person-flexible-register');
    await page.focus('#flex-region');
    await page.keyboard.press('Enter');
    await page.locator('#flex-registration').waitFor();
    await expectText(page, '已登记为灵活就业人员：参保地区 广东 440300，缴费基数比例 80%');
    expect((await page.locator('#flex-enrol').count()) === 0, 'the register button is still offered after registering');
    const record = await apiGet(page, '/v1/persons/' + newcomer);
    expect(record.scheme === 'flexible' && record.scheme_region === '440300' && Number(record.flexible_base_ratio) === 0.8, 'the registration is not stored: ' + JSON.stringify(record));
    await check(page, 'person-flexible-registered');
    await page.reload();
    await page.click('button:has-text("English")');
    await expectText(page, 'Registered as a flexible worker: insured in Guangdong 440300, base 80% of the average wage');
    await check(page, 'person-flexible-registered-en');
  },
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
let failed = 0;
try {
  for (const [name, run] of Object.entries(journeys)) {
    const context = await browser.newContext({ viewport: { width: 360, height: 760 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const started = Date.now();
    try {
      await run(page);
      console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
      await page.screenshot({ path: join(out, 'FAILED-' + name.split(':')[0] + '.png'), fullPage: true }).catch(() => {});
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
  writeFileSync(join(out, 'axe.json'), JSON.stringify(axeReport, null, 1));
}
const all = axeReport.flatMap((p) => p.violations);
console.log(`axe: ${axeReport.length} pages checked, ${all.length} violations in all (${all.filter((v) => v.impact === 'serious' || v.impact === 'critical').length} serious or critical); screenshots in ${out}`);
process.exit(failed ? 1 : 0);
