// "Keyboard shortcuts": a disclosure under the editor listing the keys from editor-keys.ts.
// <details> is keyboard-operable and announced as expanded/collapsed without extra code.
import { SHORTCUTS } from './editor-keys';

export function ShortcutsPopover() {
  return (
    <details className="shortcuts">
      <summary className="btn btn-ghost btn-small">Keyboard shortcuts</summary>
      <div className="shortcuts-panel" role="group" aria-label="Keyboard shortcuts">
        <table className="small">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.label}>
                <th scope="row">
                  <kbd>{s.label}</kbd>
                </th>
                <td>{s.does}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
