"""Word lists the synthetic province draws from: family, middle and given names, streets.

Weights are rough public estimates (about 38% of Vietnamese are Nguyễn). Every person
made from them is synthetic.
"""

from __future__ import annotations

FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Huỳnh", 35), ("Hoàng", 30),
    ("Võ", 30), ("Vũ", 22), ("Phan", 45), ("Trương", 20), ("Bùi", 20), ("Đặng", 20),
    ("Đỗ", 15), ("Ngô", 13), ("Hồ", 13), ("Dương", 10), ("Lý", 5), ("Đinh", 8), ("Lâm", 6),
    ("Châu", 4), ("Mai", 5), ("Tô", 4), ("Tạ", 3), ("Quách", 2), ("Thái", 3), ("Lương", 4),
)  # fmt: skip

MIDDLE_NAMES_MALE: tuple[str, ...] = (
    "Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Ngọc", "Gia",
    "Hoàng", "Xuân", "Trọng", "Tuấn", "Đình", "Quang", "Thành",
)  # fmt: skip
MIDDLE_NAMES_FEMALE: tuple[str, ...] = (
    "Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Hồng", "Phương",
    "Khánh", "Diệu", "Thùy", "Thúy", "Hoài", "Xuân",
)  # fmt: skip
GIVEN_NAMES_MALE: tuple[str, ...] = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hòa", "Huy", "Hùng", "Khang",
    "Khoa", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phúc", "Phong", "Quân", "Sơn", "Tài",
    "Tâm", "Thắng", "Thịnh", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Thủy", "Khỏe",
)  # fmt: skip
GIVEN_NAMES_FEMALE: tuple[str, ...] = (
    "Anh", "Châu", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hòa",
    "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh",
    "Phương", "Quyên", "Tâm", "Thảo", "Thủy", "Trang", "Trinh", "Uyên", "Vân", "Yến",
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "Đại lộ Bình Dương", "Cách Mạng Tháng Tám", "Yersin", "Phú Lợi", "Lê Hồng Phong",
    "Nguyễn Văn Tiết", "Huỳnh Văn Lũy", "Mỹ Phước Tân Vạn", "ĐT743", "Nguyễn Trãi",
    "Trần Hưng Đạo", "Hùng Vương", "Nguyễn An Ninh", "Bùi Quốc Khánh", "Lê Lợi", "Hai Bà Trưng",
)  # fmt: skip

ETHNICITIES: tuple[tuple[str, int], ...] = (
    ("Kinh", 900), ("Hoa", 40), ("Khmer", 25), ("Tày", 10), ("Nùng", 8), ("Chăm", 5),
    ("Mường", 7), ("Thái", 5),
)  # fmt: skip
RELIGIONS: tuple[tuple[str, int], ...] = (
    ("Không", 750), ("Phật giáo", 120), ("Công giáo", 80), ("Cao Đài", 25),
    ("Tin Lành", 15), ("Phật giáo Hòa Hảo", 10),
)  # fmt: skip

#: Provinces (old 63-list PIN prefix) where people living in the province registered
#: their birth; most were born locally (074, Binh Duong).
BIRTH_PROVINCES: tuple[tuple[str, int], ...] = (
    ("074", 700), ("079", 60), ("077", 25), ("001", 20), ("036", 20), ("038", 20),
    ("040", 25), ("042", 15), ("052", 15), ("054", 10), ("070", 20), ("072", 15),
    ("080", 15), ("082", 10), ("086", 10), ("089", 10), ("094", 10),
)  # fmt: skip
