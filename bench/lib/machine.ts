/**
 * The machine a benchmark ran on, as printed under the table and kept with
 * the results: figures only compare within one run on one machine.
 */
import { execFile } from 'node:child_process'
import os from 'node:os'
import { promisify } from 'node:util'
import { GiB, round } from './stats.js'

/** Where and when the benchmark ran. */
export interface MachineInfo {
  cpu: string
  cores: number
  ramGiB: number
  os: string
  kernel: string
  node: string
  /** Filesystem type of the scratch dir (files and outputs live there). */
  scratchFs: string
  /** 1-minute load average when the bench started: other work on the machine skews figures. */
  loadAtStart: number
  date: string
}

/** Describes this machine; `scratchDir` is where the bench's files live. */
export async function machineInfo (scratchDir: string): Promise<MachineInfo> {
  const fs = await promisify(execFile)('df', ['--output=fstype', scratchDir]).then(r => r.stdout.trim().split('\n').pop() ?? 'unknown', () => 'unknown')
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    ramGiB: round(os.totalmem() / GiB, 1),
    os: `${os.type()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    scratchFs: fs,
    loadAtStart: round(os.loadavg()[0] ?? 0, 2),
    date: new Date().toISOString()
  }
}

/** One line: "CPU × cores, RAM, kernel, Node, date". */
export function describeMachine (m: MachineInfo): string {
  return `${m.cpu} × ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os} ${m.kernel}, Node ${m.node}, ` +
    `scratch on ${m.scratchFs}, load ${m.loadAtStart} at start, ${m.date}`
}
