/**
 * Plausible reference data for an Asia – US West Coast service: owner codes, ports, parties,
 * commodities and the free texts crews and brokers write. Values are realistic in shape (they pass
 * the manifest's validators) but the parties are invented.
 */
import type { DangerousGoods } from '@tally/manifest'

/** ISO 6346 owner codes (with the U category) of carriers and lessors, by equipment kind. */
export const DRY_OWNERS = [
  'MSCU',
  'MEDU',
  'CSQU',
  'CSNU',
  'CBHU',
  'MAEU',
  'MRKU',
  'MSKU',
  'CMAU',
  'CGMU',
  'OOLU',
  'HLXU',
  'EGHU',
  'EISU',
  'TGHU',
  'TCNU',
  'TCLU',
  'SEGU',
  'CAIU',
  'FCIU',
  'BMOU',
  'GESU',
] as const
export const REEFER_OWNERS = ['MNBU', 'CXRU', 'TRIU', 'SZLU', 'OOLU', 'HLBU', 'CAIU', 'MSCU'] as const
export const TANK_OWNERS = ['EXFU', 'SUTU', 'HOYU', 'TRLU', 'BSIU'] as const

/** Dry and tank size-types with their weights; reefers are always 45R1. */
export const DRY_TYPES = [
  ['22G1', 30],
  ['42G1', 16],
  ['45G1', 51],
] as const
export const TANK_TYPE = '22T6'
export const REEFER_TYPE = '45R1'
/** Share of tanks among the non-reefer boxes. */
export const TANK_SHARE = 0.025

/** Ports of loading (Asia) and of discharge (US West Coast), weighted by volume on the rotation. */
export const LOAD_PORTS = [
  ['CNSHA', 30],
  ['CNNGB', 25],
  ['CNYTN', 20],
  ['CNXMN', 8],
  ['KRPUS', 12],
  ['HKHKG', 5],
] as const
export const DISCHARGE_PORTS = [
  ['USLAX', 40],
  ['USLGB', 25],
  ['USOAK', 20],
  ['USSEA', 10],
  ['USTIW', 5],
] as const

/** Carriers of the vessel-sharing agreement: booking prefix and SCAC for bills of lading. */
export const CARRIERS = [
  { booking: 'MEDU', scac: 'MEDU' },
  { booking: 'COSU', scac: 'COSU' },
  { booking: 'MAEU', scac: 'MAEU' },
  { booking: 'CMDU', scac: 'CMDU' },
  { booking: 'OOLU', scac: 'OOLU' },
] as const

export const SEAL_PREFIXES = ['ML-CN', 'FX', 'EMCQ', 'CGM', 'MSC', 'H', 'OOCL'] as const

export const SHIPPERS = [
  'Ningbo Sunrise Textiles Co., Ltd.',
  'Shenzhen Brightway Electronics Co., Ltd.',
  'Xiamen Harbour Furniture Manufacturing',
  'Shanghai Jinqiao Auto Parts Co.',
  'Dongguan Evergood Toys Factory',
  'Qingdao Ocean Foods Import & Export',
  'Busan Marine Products Co., Ltd.',
  'Yantian Green Solar Technology',
  'Hangzhou Silkroad Apparel Co.',
  'Guangzhou Pearl River Chemicals',
  'Suzhou Precision Machinery Works',
  'Kowloon Trading Company Ltd.',
  'Zhejiang Tianlan Ceramics',
  'Foshan Lighting Group',
  'Changwon Heavy Industries',
  'Fujian Fresh Produce Cooperative',
] as const
export const CONSIGNEES = [
  'Pacific Coast Imports LLC',
  'Golden State Distribution Inc.',
  'Cascade Home Furnishings',
  'Harbor Freight Logistics Co.',
  'Bay Area Electronics Wholesale',
  'Sierra Outdoor Supply',
  'Evergreen Grocers Cooperative',
  'Western Auto Parts Supply',
  'Redwood Apparel Group',
  'Puget Sound Cold Storage',
  'Inland Empire Fulfillment',
  'Sunbelt Chemical Distributors',
  'Mojave Solar Installations',
  'Columbia River Seafood Co.',
] as const

/** HS codes by cargo kind (6-digit HS or 10-digit US HTS). */
export const DRY_HS_CODES = [
  '851762',
  '8471300100',
  '940360',
  '6110200020',
  '640299',
  '950300',
  '870899',
  '392690',
  '732393',
  '854140',
  '6911100010',
  '940540',
  '848180',
  '420292',
] as const
/** Non-dangerous bulk liquids that travel in tanks: soybean oil, ethylene glycol, syrup, latex. */
export const TANK_HS_CODES = ['150790', '290531', '170290', '400110'] as const
export const REEFER_HS_CODES = [
  '020230',
  '030389',
  '0803900025',
  '040510',
  '071080',
  '081010',
  '160414',
] as const

/** Reefer set points (°C) by commodity class: frozen meat and fish, chilled dairy, fruit. */
export const REEFER_SETPOINTS = [-18, -20, -25, -18, 2, 4, 0, 13.3, -1.5, 6] as const

/** Dangerous goods entries that appear on this trade, with HS codes to match. */
export const DANGEROUS_GOODS: readonly { dg: DangerousGoods; hsCode: string }[] = [
  { dg: { unNumber: '1263', imoClass: '3', packingGroup: '2' }, hsCode: '321000' },
  { dg: { unNumber: '1993', imoClass: '3', packingGroup: '3' }, hsCode: '381400' },
  { dg: { unNumber: '1830', imoClass: '8', packingGroup: '2' }, hsCode: '280700' },
  { dg: { unNumber: '3480', imoClass: '9', packingGroup: null }, hsCode: '850760' },
  { dg: { unNumber: '1950', imoClass: '2.1', packingGroup: null }, hsCode: '340520' },
  { dg: { unNumber: '2794', imoClass: '8', packingGroup: '3' }, hsCode: '850710' },
  { dg: { unNumber: '1202', imoClass: '3', packingGroup: '3' }, hsCode: '271019' },
  { dg: { unNumber: '3077', imoClass: '9', packingGroup: '3' }, hsCode: '380894' },
  { dg: { unNumber: '2067', imoClass: '5.1', packingGroup: '3' }, hsCode: '310230' },
  { dg: { unNumber: '1789', imoClass: '8', packingGroup: '2' }, hsCode: '280610' },
  { dg: { unNumber: '0336', imoClass: '1.4G', packingGroup: null }, hsCode: '360410' },
]

export const DAMAGE_REPORTS = [
  'Dent in left side panel, approx. 30 cm, no breach',
  'Door gasket torn on right door',
  'Corner casting cracked at bottom front left',
  'Hole in roof panel near rear, cargo exposed to weather',
  'Door locking bar bent, door cannot be secured',
  'Twist lock damage, container shifted in stack',
  'Side wall buckled after heavy rolling',
  'Front end wall punctured, pallet visible',
  'Leak from bottom rail, wet residue on deck',
  'Reefer machinery guard bent, unit still running',
] as const

export const ALARM_CODES = [
  ['HIGH_TEMP', 'Return air above set point by more than 3 °C'],
  ['POWER_LOSS', 'Unit lost power, plug checked'],
  ['DEFROST_TIMEOUT', 'Defrost cycle did not terminate'],
  ['SENSOR_FAULT', 'Supply air sensor out of range'],
  ['COMPRESSOR', 'Compressor high pressure cut-out'],
] as const

export const HOLD_REASONS = [
  'CBP manifest hold: documentation discrepancy',
  'FDA hold pending examination',
  'USDA inspection required for wood packaging',
  'ISF late filing penalty review',
  'Commodity misdeclaration suspected',
  'Intensive exam ordered (CET)',
] as const

export const NOTE_LINES = [
  'Consignee asks for early pick-up appointment',
  'Broker confirms ISF filed',
  'Trucker booked for first free day',
  'Please verify seal number at discharge',
  'Shipper corrected commodity description',
  'Demurrage clock starts at discharge; customer informed',
  'On-dock rail requested',
  'Consignee requests reefer pre-trip report',
  'Amended B/L issued, telex release pending',
  'Customer asks for ETA update',
] as const
