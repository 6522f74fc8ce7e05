/** The presets by the name a config gives them. */
import { dingtalkPreset } from './dingtalk-preset.js';
import type { Preset } from './preset.js';
import { slackPreset } from './slack-preset.js';
import { teamsPreset } from './teams-preset.js';
import { wecomPreset } from './wecom-preset.js';

export const PRESET_NAMES = ['slack', 'teams', 'dingtalk', 'wecom'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const PRESETS: Record<PresetName, Preset> = { slack: slackPreset, teams: teamsPreset, dingtalk: dingtalkPreset, wecom: wecomPreset };
