// A parsed XML document as a flat list of elements (tag, attributes, text), via fast-xml-parser.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/** Parses `xml` after validating it; a document that is not well-formed throws with the place. */
export function parseXml(xml: string): XmlElement[] {
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) throw new Error(`not well-formed XML: line ${valid.err.line}, col ${valid.err.col}: ${valid.err.code}: ${valid.err.msg}`);
  const tree = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: false,
  }).parse(xml) as unknown[];
  const all: XmlElement[] = [];
  const walk = (items: unknown[]): XmlElement[] =>
    items.flatMap((item) => {
      const record = item as Record<string, unknown>;
      const tag = Object.keys(record).find((k) => k !== ':@' && k !== '#text');
      if (!tag) return [];
      const children = walk((record[tag] as unknown[]) ?? []);
      const text = ((record[tag] as Array<Record<string, unknown>>) ?? []).map((c) => ('#text' in c ? String(c['#text']) : '')).join('');
      const el: XmlElement = { tag, attrs: (record[':@'] as Record<string, string>) ?? {}, text, children };
      all.push(el);
      return [el];
    });
  walk(tree);
  return all;
}

/** Elements whose class attribute holds `cls`. */
export const byClass = (els: XmlElement[], cls: string) => els.filter((e) => (e.attrs.class ?? '').split(/\s+/).includes(cls));
