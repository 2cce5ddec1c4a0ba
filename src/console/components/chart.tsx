import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';

export interface Series {
  label: string;
  values: Array<number | null>;
  /** What the legend shows, when not the plotted value (a stacked series' own count). */
  shown?: Array<number | null>;
  color: string;
  /** A dashed line ([dash, gap] in pixels): a series that others may lie on stays visible. */
  dash?: number[];
}

/** A palette that stays readable on white, one colour a series. */
export const COLORS = [
  '#2563eb',
  '#d97706',
  '#dc2626',
  '#059669',
  '#7c3aed',
  '#db2777',
  '#0891b2',
  '#65a30d',
];
export const DECISION_COLORS = { approve: '#059669', review: '#d97706', decline: '#dc2626' };

/** A time-series line chart (uPlot): `times` in seconds since the epoch. */
export function TimeChart(props: {
  title: string;
  times: number[];
  series: Series[];
  height?: number;
  bars?: boolean;
  /** The x axis' span in seconds (default: the data's). */
  range?: [number, number];
  /** The y axis' span (default: from 0 to the data's largest value, at least 1). */
  yRange?: [number, number];
  /** Marks every point: for sparse series, where a lone value has no line to show it. */
  points?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const paths = props.bars === true ? uPlot.paths.bars?.({ size: [0.8, 24] }) : undefined;
    const plot = new uPlot(
      {
        title: props.title,
        width: Math.max(300, el.clientWidth),
        height: props.height ?? 220,
        scales: {
          x: props.range === undefined ? { time: true } : { time: true, range: props.range },
          // Counts start at zero, also when the empty minutes are drawn as nothing.
          y: {
            range: (_u: uPlot, _min: number, max: number): [number, number] =>
              props.yRange ?? [0, Math.max(1, max)],
          },
        },
        axes: [{}, { size: 60 }],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.dash !== undefined && { dash: s.dash, width: 3 }),
            ...(props.bars === true && { fill: `${s.color}99`, paths }),
            points: { show: props.points === true || props.times.length < 3 },
            ...(s.shown !== undefined && {
              value: (_u: uPlot, _v: number | null, _si: number, i: number | null) =>
                i === null ? '--' : String(s.shown?.[i] ?? '--'),
            }),
          })),
        ],
      },
      [props.times, ...props.series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [
    props.title,
    props.times,
    props.series,
    props.height,
    props.bars,
    props.range,
    props.yRange,
    props.points,
  ]);
  return <div class="chart" ref={host} />;
}
