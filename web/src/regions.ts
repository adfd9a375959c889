// Province-level jurisdictions (GB/T 2260 first two digits) as the API names
// them ("CN-44"), with their names in both languages.
import { lang } from './i18n';

const provinces: [number, string, string][] = [
  [11, '北京', 'Beijing'], [12, '天津', 'Tianjin'], [13, '河北', 'Hebei'], [14, '山西', 'Shanxi'],
  [15, '内蒙古', 'Inner Mongolia'], [21, '辽宁', 'Liaoning'], [22, '吉林', 'Jilin'], [23, '黑龙江', 'Heilongjiang'],
  [31, '上海', 'Shanghai'], [32, '江苏', 'Jiangsu'], [33, '浙江', 'Zhejiang'], [34, '安徽', 'Anhui'],
  [35, '福建', 'Fujian'], [36, '江西', 'Jiangxi'], [37, '山东', 'Shandong'], [41, '河南', 'Henan'],
  [42, '湖北', 'Hubei'], [43, '湖南', 'Hunan'], [44, '广东', 'Guangdong'], [45, '广西', 'Guangxi'],
  [46, '海南', 'Hainan'], [50, '重庆', 'Chongqing'], [51, '四川', 'Sichuan'], [52, '贵州', 'Guizhou'],
  [53, '云南', 'Yunnan'], [54, '西藏', 'Tibet'], [61, '陕西', 'Shaanxi'], [62, '甘肃', 'Gansu'],
  [63, '青海', 'Qinghai'], [64, '宁夏', 'Ningxia'], [65, '新疆', 'Xinjiang'],
];

export function provinceList(): { code: string; name: string }[] {
  const en = lang.get() === 'en';
  return provinces.map(([n, zh, e]) => ({ code: 'CN-' + n, name: en ? e : zh }));
}

// "CN-44" or a six-digit region code ("440300") → the province's name.
export function regionName(code: string): string {
  const digits = code.startsWith('CN-') ? code.slice(3) : code.slice(0, 2);
  const p = provinces.find(([n]) => String(n) === digits.slice(0, 2));
  if (!p) return code;
  const name = lang.get() === 'en' ? p[2] : p[1];
  return code.length === 6 && !code.startsWith('CN-') ? `${name} ${code}` : name;
}
