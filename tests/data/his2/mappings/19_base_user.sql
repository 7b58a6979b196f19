-- 用户：工号即 operator_id；停用 tybz = '1' 即删除。
-- table: base_user
-- key: id
-- watermark: xgsj
-- delete_flag: tybz
-- codes: dept_code=department
SELECT u.yhdm AS id,
       u.xm AS user_name,
       u.ksdm AS dept_code,
       u.cjsj AS create_time,
       u.yhdm AS login_name,
       '0' AS invalid_flag,
       u.tybz AS tybz,
       u.xgsj AS xgsj
FROM xt_yh u
WHERE u.xgsj >= :since AND u.xgsj <= :until
ORDER BY u.xgsj, u.yhdm
