import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { PrPoint } from './metrics.ts';
import { thinCurve } from './metrics.ts';

export interface Curve {
  /** Legend label, e.g. "risk_score (rules), simulator seed 4242". */
  name: string;
  points: readonly PrPoint[];
}

export interface OperatingPoint {
  name: string;
  precision: number;
  recall: number;
}

/**
 * Precision–recall curves and the service's operating points (its actual decisions) as an SVG,
 * rendered by vega-lite in Node (no browser, no canvas).
 */
export async function prPlotSvg(
  title: string,
  curves: readonly Curve[],
  points: readonly OperatingPoint[],
): Promise<string> {
  const values = curves.flatMap((c) =>
    // A step curve reads best with the (recall 0, first precision) start.
    [{ recall: 0, precision: c.points[0]?.precision ?? 1 }, ...thinCurve(c.points)].map((p) => ({
      curve: c.name,
      recall: p.recall,
      precision: p.precision,
    })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 380,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'recall', type: 'quantitative', scale: { domain: [0, 1] }, title: 'recall' },
          y: {
            field: 'precision',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            title: 'precision',
          },
          color: {
            field: 'curve',
            type: 'nominal',
            title: null,
            legend: { orient: 'bottom', direction: 'vertical', labelLimit: 500 },
          },
        },
      },
      {
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'point', filled: true, size: 90, shape: 'diamond', color: 'black' },
        encoding: {
          x: { field: 'recall', type: 'quantitative' },
          y: { field: 'precision', type: 'quantitative' },
          tooltip: [{ field: 'name' }],
        },
      },
      {
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 11 },
        encoding: {
          x: { field: 'recall', type: 'quantitative' },
          y: { field: 'precision', type: 'quantitative' },
          text: { field: 'name' },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The SVG as a PNG (resvg: a Rust SVG renderer, prebuilt for Node), 1,000 px wide. */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'width', value: 1000 }, background: 'white' })
    .render()
    .asPng();
}
