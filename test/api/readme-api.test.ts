/**
 * The README's API section documents every route the server has, and every
 * POST route's request body field by field. Routes come from the running
 * app (fastify's route tree); body fields from the schemas in src/api/.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startApiFixture } from './helpers.js'
import { REPO } from '../helpers/cli.js'

/** `METHOD /path` of every route, from fastify's printed tree (HEAD left out: it comes with GET). */
function routesOf (tree: string): string[] {
  const out: string[] = []
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (m == null) continue
    const depth = Math.round((m[1] as string).length / 4)
    stack.length = depth
    stack.push(m[2] as string)
    for (const method of (m[3] ?? '').split(', ').filter(x => x !== '' && x !== 'HEAD')) out.push(`${method} ${stack.join('')}`)
  }
  return out
}

/** `:jobId` and `:id` are the same parameter to a reader. */
const normal = (route: string): string => route.replace(/:[A-Za-z]+/g, ':param')

/** Body field names of each POST route in a source file of src/api/: the keys of its body schema's `properties`. */
function postBodies (source: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const m of source.matchAll(/(?:app|scope)\.post(?:<[^>]*>)?\('([^']+)'([\s\S]*?)async \(req/g)) {
    const block = (m[2] as string).replace(/\/\/.*$/gm, '') // comments may hold anything, `word:` included
    const props = /body: \{[\s\S]*?properties: \{([\s\S]*?)\},\s*required/.exec(block)?.[1] ?? /properties: \{(.*?)\} \}, required/.exec(block)?.[1] ?? ''
    out.set(m[1] as string, topLevelKeys(props))
  }
  return out
}

/** Keys of an object literal's body at brace depth 0 (`peers`, not its `items`). */
function topLevelKeys (body: string): string[] {
  const keys: string[] = []
  let depth = 0
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
    else if (depth === 0) {
      const key = /^(\w+):/.exec(body.slice(i))
      if (key != null && !/\w/.test(body[i - 1] ?? '')) { keys.push(key[1] as string); i += key[0].length - 1 }
    }
  }
  return keys
}

test('the README documents every API route and every POST body field', async (t) => {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8')
  const start = readme.indexOf('### HTTP API')
  assert.ok(start >= 0, 'README has an HTTP API section')
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1))
  const documented = normal(section)

  const api = await startApiFixture()
  t.after(api.close)
  // The dashboard's built files (GET /, /assets/…) are not API routes; the README's Dashboard section covers them.
  const routes = routesOf(api.app.printRoutes({ commonPrefix: false })).filter(r => r.split(' ')[1]?.startsWith('/api') === true)
  assert.ok(routes.length >= 10, routes.join('\n'))
  for (const route of routes) assert.ok(documented.includes(`\`${normal(route)}\``), `README documents ${route}`)

  const apiDir = join(REPO, 'src', 'api')
  const sources = await Promise.all((await readdir(apiDir)).filter(f => f.endsWith('.ts')).map(async f => await readFile(join(apiDir, f), 'utf8')))
  const bodies = postBodies(sources.join('\n'))
  const posts = routes.filter(r => r.startsWith('POST '))
  assert.deepEqual([...bodies.keys()].map(p => `POST ${p}`).sort(), posts.sort(), 'every POST route found in the source')
  for (const [path, fields] of bodies) {
    // Each POST route has its own paragraph: a table of its body, or "takes no body".
    const at = documented.indexOf(`\`${normal(`POST ${path}`)}\`\n`)
    const own = documented.indexOf(`\`${normal(`POST ${path}`)}\` takes no body`)
    const multipart = documented.indexOf(`\`${normal(`POST ${path}`)}\` takes a multipart body`)
    if (fields.length === 0) { assert.ok(own >= 0 || multipart >= 0, `README says POST ${path} takes no body, or describes its multipart body`); continue }
    assert.ok(at >= 0, `README has a body table for POST ${path}`)
    const table = documented.slice(at, documented.indexOf('\n\n', documented.indexOf('| field', at)))
    for (const field of fields) assert.match(table, new RegExp(`^\\| \`${field}\` \\| \\S`, 'm'), `POST ${path}: ${field} documented with its type`)
    assert.match(table, /\| field \| type \| required \| default \| meaning \|/)
  }
})
