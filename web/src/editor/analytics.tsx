// Event analytics of a journey: the funnel over its designed touchpoints (optionally split by an
// event attribute) and the process map of what customers did.
import { useEffect, useState } from 'preact/hooks';
import { fmtNum, lang, t } from '../i18n';
import { api, ApiError } from '../api';
import { Modal } from '../pages/home';

interface FunnelStep {
  activity: string;
  cases: number;
  drop_off: number;
  conversion: number | null;
  median_seconds_from_first: number | null;
}
interface Funnel {
  cases: number;
  steps: FunnelStep[];
}
interface FunnelSegment extends Funnel {
  segment: string | null;
}
interface FunnelReport extends Funnel {
  segments?: FunnelSegment[];
}
interface AttributeKey {
  key: string;
  events: number;
}

const WINDOWS = ['1d', '7d', '30d', '90d'];
/** Segments shown side by side; the rest are summed up in the API's answer only. */
const MAX_SEGMENTS = 6;

function pct(part: number, whole: number): string {
  return whole > 0 ? `${fmtNum((100 * part) / whole, 1)}%` : '–';
}

function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return t('dur_s', { n: fmtNum(seconds, 0) });
  if (seconds < 3600) return t('dur_m', { n: fmtNum(seconds / 60, 1) });
  if (seconds < 86_400) return t('dur_h', { n: fmtNum(seconds / 3600, 1) });
  return t('dur_d', { n: fmtNum(seconds / 86_400, 1) });
}

/** `touchpoints`: the journey's touchpoint names in designed order, the funnel's candidate steps. */
export function AnalyticsDialog({ journeyId, touchpoints, onClose }: { journeyId: string; touchpoints: string[]; onClose: () => void }) {
  const [tab, setTab] = useState<'funnel' | 'diagnosis' | 'process'>('funnel');
  return (
    <Modal title={t('analytics')} onClose={onClose} wide>
      <div class="tabs analytics-tabs" role="tablist">
        <button role="tab" class={`tab ${tab === 'funnel' ? 'on' : ''}`} data-testid="tab-funnel" onClick={() => setTab('funnel')}>{t('funnel')}</button>
        <button role="tab" class={`tab ${tab === 'diagnosis' ? 'on' : ''}`} data-testid="tab-diagnosis" onClick={() => setTab('diagnosis')}>{t('diagnosis')}</button>
        <button role="tab" class={`tab ${tab === 'process' ? 'on' : ''}`} data-testid="tab-process" onClick={() => setTab('process')}>{t('process_map')}</button>
      </div>
      {tab === 'funnel' && <FunnelView journeyId={journeyId} touchpoints={touchpoints} />}
      {tab === 'diagnosis' && <DiagnosisView journeyId={journeyId} />}
      {tab === 'process' && <ProcessMapView journeyId={journeyId} />}
    </Modal>
  );
}

function FunnelView({ journeyId, touchpoints }: { journeyId: string; touchpoints: string[] }) {
  const base = `/api/v1/journeys/${journeyId}/analytics`;
  // The API takes the steps comma-separated, so a name with a comma cannot be a step.
  const candidates = touchpoints.filter((name, i) => !name.includes(',') && touchpoints.indexOf(name) === i);
  // Steps left out by the user; at first, the touchpoints no event was mapped to.
  const [off, setOff] = useState<Set<string> | null>(null);
  const [windowText, setWindowText] = useState('30d');
  const [segment, setSegment] = useState('');
  const [keys, setKeys] = useState<AttributeKey[]>([]);
  const [report, setReport] = useState<FunnelReport | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ attributes: AttributeKey[] }>('GET', `${base}/attributes`)
      .then((r) => setKeys(r.attributes))
      .catch(() => setKeys([]));
  }, [journeyId]);
  useEffect(() => {
    api<{ activities: Record<string, number> }>('GET', `${base}/dfg`)
      .then((dfg) => {
        const measured = candidates.filter((name) => (dfg.activities[name] ?? 0) > 0);
        setOff(new Set(measured.length ? candidates.filter((name) => !measured.includes(name)) : []));
      })
      .catch(() => setOff(new Set()));
  }, [journeyId]);
  const steps = off ? candidates.filter((name) => !off.has(name)) : [];
  const stepsParam = steps.join(',');
  useEffect(() => {
    if (!off || !stepsParam) return;
    setError('');
    const query = new URLSearchParams({ window: windowText, steps: stepsParam });
    if (segment) query.set('segment', segment);
    api<FunnelReport>('GET', `${base}/funnel?${query}`)
      .then(setReport)
      .catch((e) => {
        setReport(null);
        setError(e instanceof ApiError ? e.message : String(e));
      });
  }, [journeyId, windowText, segment, stepsParam]);
  const toggle = (name: string) => {
    const next = new Set(off ?? []);
    if (next.has(name)) next.delete(name);
    else if (steps.length > 1) next.add(name);
    setOff(next);
  };

  const segments = (report?.segments ?? []).slice(0, MAX_SEGMENTS);
  return (
    <div class="funnel-view" data-testid="funnel-view">
      <div class="funnel-controls">
        <label>
          {t('conversion_window')}
          <select class="select" value={windowText} data-testid="funnel-window" onChange={(e) => setWindowText((e.target as HTMLSelectElement).value)}>
            {WINDOWS.map((w) => <option value={w}>{t('window_days', { n: parseInt(w, 10) })}</option>)}
          </select>
        </label>
        <label>
          {t('split_by')}
          <select class="select" value={segment} data-testid="funnel-segment" onChange={(e) => setSegment((e.target as HTMLSelectElement).value)}>
            <option value="">{t('no_split')}</option>
            {keys.map((k) => <option value={k.key}>{`${k.key} (${fmtNum(k.events, 0)})`}</option>)}
          </select>
        </label>
      </div>
      <div class="step-chips" role="group" aria-label={t('funnel_steps')}>
        <span class="muted small">{t('funnel_steps')}</span>
        {candidates.map((name) => (
          <button class={`chip ${off?.has(name) ? '' : 'on'}`} aria-pressed={!off?.has(name)} data-testid="step-chip" onClick={() => toggle(name)}>{name}</button>
        ))}
      </div>
      {error && <div class="error">{t('err_generic', { msg: error })}</div>}
      {report && report.cases === 0 && <p class="muted" data-testid="funnel-empty">{t('no_events')}</p>}
      {report && report.cases > 0 && (
        <div class="funnel-scroll">
          <table class="table funnel-table" data-testid="funnel-table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('col_touchpoint')}</th>
                <th class="num">{t('all_cases', { n: fmtNum(report.cases, 0) })}</th>
                <th class="num">{t('drop_off')}</th>
                <th class="num">{t('median_time')}</th>
                {segments.map((s) => (
                  <th class="num segment-head" data-testid="segment-head">
                    {s.segment ?? t('no_value')}
                    <div class="muted small">{t('cases_n', { n: fmtNum(s.cases, 0) })}</div>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.steps.map((step, i) => (
                <tr>
                  <td class="muted">{i + 1}</td>
                  <td>{step.activity}</td>
                  <td class="num">
                    <Bar part={step.cases} whole={report.cases} />
                    {fmtNum(step.cases, 0)} <span class="muted">{pct(step.cases, report.cases)}</span>
                  </td>
                  <td class="num">
                    {fmtNum(step.drop_off, 0)} <span class="muted">{step.conversion === null ? '–' : `${fmtNum(100 * step.conversion, 1)}%`}</span>
                  </td>
                  <td class="num">{i === 0 ? '–' : duration(step.median_seconds_from_first)}</td>
                  {segments.map((s) => (
                    <td class="num">
                      <Bar part={s.steps[i]?.cases ?? 0} whole={s.cases} />
                      {pct(s.steps[i]?.cases ?? 0, s.cases)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {(report.segments?.length ?? 0) > MAX_SEGMENTS && (
            <p class="muted small">{t('more_segments', { n: (report.segments?.length ?? 0) - MAX_SEGMENTS })}</p>
          )}
        </div>
      )}
    </div>
  );
}

function Bar({ part, whole }: { part: number; whole: number }) {
  const width = whole > 0 ? Math.round((100 * part) / whole) : 0;
  return <div class="funnel-bar" aria-hidden="true"><div style={{ width: `${width}%` }} /></div>;
}

interface Conformance {
  cases: number;
  fitness: number;
  conforming_cases: number;
  steps: { activity: string; in_order: number; skipped: number; out_of_order: number }[];
  off_design_events: Record<string, number>;
  off_design_cases: Record<string, number>;
}
interface EdgeTiming {
  from: string;
  to: string;
  count: number;
  mean_seconds: number;
  median_seconds: number;
  max_seconds: number;
}

/** Transitions seen fewer times than this are too thin to call a bottleneck. */
const BOTTLENECK_MIN_COUNT = 10;

/** Where the observed journeys leave the design, and the slowest transitions between touchpoints. */
function DiagnosisView({ journeyId }: { journeyId: string }) {
  const base = `/api/v1/journeys/${journeyId}/analytics`;
  const [conformance, setConformance] = useState<Conformance | null>(null);
  const [slowest, setSlowest] = useState<EdgeTiming[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const fail = (e: unknown) => setError(e instanceof ApiError ? e.message : String(e));
    api<Conformance>('GET', `${base}/conformance`).then(setConformance).catch(fail);
    api<{ by_median: EdgeTiming[] }>('GET', `${base}/bottlenecks?top=10&min_count=${BOTTLENECK_MIN_COUNT}`)
      .then((b) => setSlowest(b.by_median))
      .catch(fail);
  }, [journeyId]);
  if (error) return <div class="error">{t('err_generic', { msg: error })}</div>;
  if (!conformance || !slowest) return <p class="muted">{t('loading')}</p>;
  if (conformance.cases === 0) return <p class="muted" data-testid="diagnosis-empty">{t('no_events')}</p>;
  const offDesign = Object.entries(conformance.off_design_cases).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const n = conformance.cases;
  return (
    <div class="diagnosis-view" data-testid="diagnosis-view">
      <h3>{t('conformance')}</h3>
      <p class="muted small">
        {t('conformance_summary', { fitness: fmtNum(conformance.fitness, 2), n: fmtNum(conformance.conforming_cases, 0), pct: pct(conformance.conforming_cases, n) })}
      </p>
      <table class="table" data-testid="conformance-table">
        <thead>
          <tr>
            <th>{t('col_touchpoint')}</th>
            <th class="num">{t('in_order')}</th>
            <th class="num">{t('skipped')}</th>
            <th class="num">{t('out_of_order')}</th>
          </tr>
        </thead>
        <tbody>
          {conformance.steps.map((s) => (
            <tr>
              <td>{s.activity}</td>
              <td class="num"><Bar part={s.in_order} whole={n} />{fmtNum(s.in_order, 0)} <span class="muted">{pct(s.in_order, n)}</span></td>
              <td class="num">{fmtNum(s.skipped, 0)} <span class="muted">{pct(s.skipped, n)}</span></td>
              <td class="num">{fmtNum(s.out_of_order, 0)} <span class="muted">{pct(s.out_of_order, n)}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
      {offDesign.length > 0 && (
        <p class="small" data-testid="off-design">
          <b>{t('off_design')}</b>{' '}
          {offDesign.map(([name, cases]) => `${name} (${t('cases_n', { n: fmtNum(cases, 0) })})`).join(' · ')}
        </p>
      )}
      <h3>{t('bottlenecks')}</h3>
      {slowest.length === 0 ? (
        <p class="muted">{t('no_bottlenecks', { n: BOTTLENECK_MIN_COUNT })}</p>
      ) : (
        <table class="table" data-testid="bottleneck-table">
          <thead>
            <tr>
              <th>{t('transition')}</th>
              <th class="num">{t('times')}</th>
              <th class="num">{t('median_time')}</th>
              <th class="num">{t('mean_time')}</th>
              <th class="num">{t('max_time')}</th>
            </tr>
          </thead>
          <tbody>
            {slowest.map((e) => (
              <tr>
                <td>{e.from} → {e.to}</td>
                <td class="num">{fmtNum(e.count, 0)}</td>
                <td class="num">{duration(e.median_seconds)}</td>
                <td class="num">{duration(e.mean_seconds)}</td>
                <td class="num">{duration(e.max_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ProcessMapView({ journeyId }: { journeyId: string }) {
  const src = `/api/v1/journeys/${journeyId}/analytics/process-map.svg?lang=${lang()}`;
  return (
    <div class="process-view">
      <p class="muted small">
        {t('process_map_hint')} <a href={src} target="_blank" rel="noopener">{t('open_new_tab')}</a>
      </p>
      <img src={src} alt={t('process_map')} data-testid="process-map" class="process-map" />
    </div>
  );
}
