// A small embedded list of passwords that appear at the top of every breach
// corpus, plus appliance-flavoured ones; length ≥ 12 so the length rule does
// not already reject them. Compared case-insensitively.
const LIST = `
password1234 password12345 password123456 123456789012 1234567890123 qwertyuiop12 qwertyuiop123
qwerty123456 1q2w3e4r5t6y 1qaz2wsx3edc zaq12wsxcde3 iloveyou1234 admin1234567 administrator
adminadmin12 adminpassword changeme1234 changemeplease letmein12345 letmeinplease welcome12345
welcome123456 passw0rd1234 p@ssw0rd1234 p@ssword1234 trustno1trustno1 sunshine1234 football1234
baseball1234 superman1234 monkey123456 dragon123456 master123456 princess1234 abc123456789
abcdefghijkl abcd12345678 111111111111 000000000000 123123123123 121212121212 aaaaaaaaaaaa
onsite123456 onsiteadmin1 onsiteonsite passwordpassword correcthorsebatterystaple
`;

/** Lower-cased common passwords refused by the password policy. */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter(Boolean));
