// SQL highlighting in the page's colours: CodeMirror's tags mapped to CSS variables (styles.css),
// so one style serves the light and the dark theme and both keep AA contrast. basicSetup's own
// highlighting is a fallback, so this one wins.
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';

export const pageHighlighting = syntaxHighlighting(
  HighlightStyle.define([
    { tag: [tags.keyword, tags.operatorKeyword, tags.modifier, tags.controlKeyword], color: 'var(--code-keyword)' },
    { tag: [tags.string, tags.special(tags.string)], color: 'var(--code-string)' },
    { tag: [tags.number, tags.bool, tags.null], color: 'var(--code-number)' },
    { tag: [tags.lineComment, tags.blockComment, tags.comment], color: 'var(--code-comment)', fontStyle: 'italic' },
    { tag: [tags.typeName, tags.standard(tags.name)], color: 'var(--code-type)' },
    { tag: [tags.name, tags.variableName, tags.propertyName, tags.special(tags.name)], color: 'var(--code-name)' },
    { tag: [tags.operator, tags.punctuation, tags.paren, tags.separator], color: 'var(--code-operator)' },
  ]),
);
