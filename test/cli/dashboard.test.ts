/**
 * `shoal start` prints `Dashboard: http://127.0.0.1:<port>/?token=<token>`
 * (and `dashboard` in --json); `shoal dashboard` prints that URL for the
 * node of its data dir, and fails with ERR_NODE_NOT_RUNNING when none runs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { lastJson, nodeControls, runShoal, spawnShoal, startNode, tempDir } from '../helpers/cli.js'

test('start prints the dashboard URL with the token; shoal dashboard prints it again', async (t) => {
  const dir = await tempDir(t)
  const dataDir = join(dir, 'a')
  const child = spawnShoal(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
  t.after(nodeControls(child).stop)
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^Dashboard: (\S+)$/m.exec(out)
      if (m != null) resolve(m[1] as string)
    })
    child.on('exit', (code) => { reject(new Error(`start exited ${code}: ${out}`)) })
  })
  const token = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
  assert.match(line, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
  assert.equal(new URL(line).searchParams.get('token'), token)

  const again = await runShoal(['dashboard', '--data-dir', dataDir])
  assert.equal(again.code, 0, again.stderr)
  assert.equal(again.stdout.trim(), line)
  const json = lastJson<{ url: string }>(await runShoal(['dashboard', '--data-dir', dataDir, '--json']))
  assert.equal(json.url, line)
  // The page it opens is the dashboard.
  const page = await fetch(line)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /<div id="app">/)
})

test('start --json has the dashboard URL; dashboard without a running node is ERR_NODE_NOT_RUNNING', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'a'))
  assert.equal((lastJson<{ url: string }>(await runShoal(['dashboard', '--data-dir', node.dataDir, '--json']))).url, node.dashboard)
  const none = await runShoal(['dashboard', '--data-dir', join(dir, 'nothing-here')])
  assert.notEqual(none.code, 0)
  assert.match(none.stderr, /ERR_NODE_NOT_RUNNING/)
})
