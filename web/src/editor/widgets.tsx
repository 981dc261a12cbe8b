import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';

/** Text that turns into an input on click (or Enter when focused); commits on Enter or blur. */
export function Editable(props: {
  value: string;
  onCommit: (v: string) => void;
  readOnly?: boolean;
  multiline?: boolean;
  placeholder?: string;
  class?: string;
  testid?: string;
  required?: boolean;
  label?: string;
  startEditing?: boolean;
  onCancel?: () => void;
}) {
  const [editing, setEditing] = useState(!!props.startEditing);
  const [draft, setDraft] = useState(props.value);
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  // Enter closes the editor, and the input's removal then fires blur: commit only once.
  const open = useRef(!!props.startEditing);
  useEffect(() => {
    if (editing && ref.current) {
      ref.current.focus();
      ref.current.select();
    }
  }, [editing]);
  const start = () => {
    if (props.readOnly) return;
    setDraft(props.value);
    open.current = true;
    setEditing(true);
  };
  const finish = (commit: boolean) => {
    if (!open.current) return;
    open.current = false;
    setEditing(false);
    const v = props.multiline ? draft : draft.trim();
    if (commit && v !== props.value && !(props.required && !v.trim())) props.onCommit(v);
    else if (!commit || v === props.value) props.onCancel?.();
  };
  if (editing) {
    const common = {
      ref,
      class: `inline-input ${props.class ?? ''}`,
      value: draft,
      'data-testid': props.testid ? `${props.testid}-input` : undefined,
      'aria-label': props.label,
      placeholder: props.placeholder,
      maxLength: props.required ? 200 : 10000,
      onInput: (e: Event) => setDraft((e.target as HTMLInputElement).value),
      onBlur: () => finish(true),
      onKeyDown: (e: KeyboardEvent) => {
        e.stopPropagation();
        if (e.key === 'Escape') {
          e.preventDefault();
          finish(false);
        } else if (e.key === 'Enter' && (!props.multiline || !e.shiftKey)) {
          e.preventDefault();
          finish(true);
        }
      },
    };
    return props.multiline ? <textarea rows={3} {...(common as any)} /> : <input {...(common as any)} />;
  }
  const empty = !props.value;
  return (
    <span
      class={`editable ${props.class ?? ''} ${empty ? 'empty' : ''} ${props.readOnly ? 'ro' : ''}`}
      data-testid={props.testid}
      tabIndex={props.readOnly ? undefined : 0}
      role={props.readOnly ? undefined : 'button'}
      aria-label={props.label}
      onClick={() => start()}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === 'F2') {
          e.preventDefault();
          e.stopPropagation();
          start();
        }
      }}
    >
      {empty ? (props.readOnly ? '' : props.placeholder ?? '') : props.value}
    </span>
  );
}

/** A list of short texts (pain points, thoughts, …) as notes; empty text removes an item. */
export function ListEditor(props: {
  items: string[];
  onChange: (items: string[]) => void;
  readOnly?: boolean;
  tone?: string;
  testid?: string;
  compact?: boolean;
}) {
  const [adding, setAdding] = useState(false);
  return (
    <div class={`notes ${props.tone ?? ''}`} data-testid={props.testid}>
      {props.items.map((item, i) => (
        <div class="note" key={i + ':' + item}>
          <Editable
            value={item}
            multiline
            readOnly={props.readOnly}
            testid={props.testid ? `${props.testid}-item` : undefined}
            onCommit={(v) => {
              const next = [...props.items];
              if (v.trim()) next[i] = v.trim();
              else next.splice(i, 1);
              props.onChange(next);
            }}
          />
        </div>
      ))}
      {adding && (
        <div class="note">
          <Editable
            value=""
            multiline
            startEditing
            placeholder={t('new_item')}
            testid={props.testid ? `${props.testid}-new` : undefined}
            onCommit={(v) => {
              setAdding(false);
              if (v.trim()) props.onChange([...props.items, v.trim()]);
            }}
            onCancel={() => setAdding(false)}
          />
        </div>
      )}
      {!props.readOnly && !adding && (
        <button
          class="add-note"
          data-testid={props.testid ? `${props.testid}-add` : undefined}
          onClick={(e) => {
            e.stopPropagation();
            setAdding(true);
          }}
          aria-label={t('add_item')}
          title={t('add_item')}
        >
          ＋
        </button>
      )}
    </div>
  );
}
