/** A small line graph of recent values (speed, rates); SVG, so it scales and needs no redraw code. */

export interface Series { values: readonly number[], colour: string, label: string }

export function Sparkline ({ series, width = 160, height = 36, label }: { series: Series[], width?: number, height?: number, label: string }) {
  const max = Math.max(1, ...series.flatMap(s => s.values))
  const n = Math.max(2, ...series.map(s => s.values.length))
  const points = (values: readonly number[]): string => values.map((v, i) => `${(i * width / (n - 1)).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ')
  return (
    <svg class="spark" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={label}>
      <line x1="0" y1={height - 1} x2={width} y2={height - 1} class="spark-axis" />
      {series.map(s => <polyline key={s.label} points={points(s.values)} fill="none" stroke={s.colour} stroke-width="1.5" />)}
    </svg>
  )
}
