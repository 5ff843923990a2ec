/**
 * The dashboard's files (built from `web/` into `dist/web`), served at `/`
 * next to `/api`. They hold no data: the page asks `/api` for everything with
 * the token, so they are served without one. Every page answer carries a
 * strict Content-Security-Policy (nothing from outside, no framing) and no
 * referrer, since the address the user opened carries the token.
 */
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { logger } from '../util/log.js'

const log = logger('api-dashboard')

/** Where the built dashboard may be, relative to this module: bundled (dist/bundle), compiled (dist/api) or run from source (src/api). */
const CANDIDATE_DIRS = ['../web/', '../../dist/web/']

/** Headers on every dashboard file. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin'
}

/** The folder holding the built dashboard (its index.html), or undefined when it was not built. */
export function dashboardDir (): string | undefined {
  for (const rel of CANDIDATE_DIRS) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(`${dir}index.html`)) return dir
  }
  return undefined
}

/** The address that opens the dashboard logged in: the API's root with the token. */
export function dashboardUrl (apiUrl: string, token: string): string {
  return `${apiUrl}/?token=${encodeURIComponent(token)}`
}

/**
 * True for a matched route pattern of the dashboard's files (everything
 * outside `/api`); false for API routes and for no match (a 404 needs the
 * token too, so nothing is learnt about the API without it).
 */
export function isDashboardRoute (routeUrl: string | undefined): boolean {
  return routeUrl != null && routeUrl !== '/api' && !routeUrl.startsWith('/api/')
}

/** Serves the built dashboard at `/` (nothing, with a log line, when it was not built). */
export function registerDashboard (app: FastifyInstance): void {
  const root = dashboardDir()
  if (root == null) {
    log('no built dashboard next to %s: run `npm run build`', fileURLToPath(import.meta.url))
    return
  }
  void app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    // Only files that exist are served; everything else is the API's 404.
    wildcard: false,
    setHeaders: (res) => {
      for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) res.setHeader(name, value)
    }
  })
}
