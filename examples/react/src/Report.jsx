const mL = (x) => `${x.toFixed(1)} mL`;
const percent = (x) => (x === null ? '–' : `${x.toFixed(1)} %`);

/** The burden of a segmented volume (result.burden of segmentVolume). */
export function Report({ burden, notes = [] }) {
  const rows = [
    ['infected', 'Infected volume', mL(burden.infectedVolumeMl)],
    ['lungs', 'Lung volume', burden.lungVolumeMl === null ? '–' : mL(burden.lungVolumeMl)],
    ['percent', 'Lung involved', percent(burden.percentInvolved)],
    ['severity', 'Severity', burden.severity ? `${burden.severity.score} / 5 (${burden.severity.band})` : '–'],
    ['lesions', 'Lesions', String(burden.lesions.count)],
  ];
  return (
    <aside className="report">
      <h2>Burden</h2>
      <dl>
        {rows.map(([field, term, value]) => (
          <div key={field}><dt>{term}</dt><dd data-field={field}>{value}</dd></div>
        ))}
      </dl>
      {burden.subtypes.length > 0 && (
        <>
          <h3>By type</h3>
          <dl>{burden.subtypes.map((s) => <div key={s.label}><dt>{s.name}</dt><dd>{mL(s.volumeMl)}</dd></div>)}</dl>
        </>
      )}
      <h3>By lung</h3>
      {burden.perLung ? (
        <dl>
          {['left', 'right'].map((side) => {
            const lung = burden.perLung[side];
            return <div key={side}><dt>{side}</dt><dd>{mL(lung.infectedVolumeMl)} of {mL(lung.lungVolumeMl)} ({percent(lung.percentInvolved)})</dd></div>;
          })}
        </dl>
      ) : (
        <p className="note">{burden.perLungNote}</p>
      )}
      {notes.map((n) => <p key={n} className="note">{n}</p>)}
      <p className="note">Severity: the bands of Pan et al. (Radiology 2020) applied to the whole-lung involvement, a 0–5 analogue of their per-lobe score.</p>
    </aside>
  );
}
