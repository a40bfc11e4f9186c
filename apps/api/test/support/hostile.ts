// Names every plain object answers to (`key in {}`) or that change an object's prototype: what a
// lookup keyed by request input must treat as data, never as an inherited member.
export const PROTOTYPE_KEYS = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
];
